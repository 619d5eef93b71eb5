// screens/stats/reports.jsx — providers' statistics reports: the list (a provider its own, the
// central body all), filing one (a QTSP's operator: JSON, SDMX-CSV or signed CMS, every problem
// shown at once), and one report's reconciliation, reported against derived, cell by cell,
// with the certificates behind a cell.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import { getSession } from '../../lib/session.js';
import { t } from '../../lib/i18n.js';
import { fmtNumber, shortHex } from '../../lib/format.js';
import { Button, Field, Table, ErrorBox, Notice, Spinner, Empty, Time, useAsync } from '../../components/index.js';
import { may, isQtsp, useAction, readFileBytes } from '../admin/kit.jsx';

// The upload goes through fetch here (not lib/api.js) to read the 422's list of problems.
async function upload(file, revision, signedCsv) {
  const name = file.name.toLowerCase();
  let type = 'application/json';
  const query = new URLSearchParams();
  if (name.endsWith('.csv')) { type = 'text/csv'; if (revision) query.set('revision', revision); }
  else if (/\.(p7m|p7s|p7|der|cms|pem)$/.test(name)) { type = 'application/pkcs7-mime'; if (signedCsv) query.set('format', 'csv'); }
  const body = await readFileBytes(file);
  const headers = { 'Content-Type': type, Accept: 'application/json' };
  const csrf = getSession().csrf;
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const qs = query.toString();
  const res = await fetch('/api/v1/stats/reports' + (qs ? '?' + qs : ''), { method: 'POST', headers, body, credentials: 'same-origin' });
  let j = null;
  try { j = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const e = new ApiError(res.status, j && j.error && j.error.code, j && j.error && j.error.message);
    e.problems = (j && j.error && j.error.problems) || [];
    throw e;
  }
  return j;
}

const where = (p) => p.pointer || (p.row ? t('stats.row_col', { row: p.row, col: p.column || '' }) : '');

function Problems({ list, title }) {
  if (!list || !list.length) return null;
  return (
    <Table caption={title} rows={list} columns={[
      { key: 'where', label: t('stats.where'), render: (p) => <code class="mono">{where(p)}</code> },
      { key: 'code', label: t('stats.code_label'), render: (p) => <code class="mono">{p.code}</code> },
      { key: 'message', label: t('stats.message') },
    ]} />
  );
}

export function Reports({ me, selected, open }) {
  const list = useAsync(() => api.get('/api/v1/stats/reports'), []);
  const canFile = isQtsp(me) && may(me, 'write');
  const [file, setFile] = useState(null);
  const [revision, setRevision] = useState('1');
  const [signedCsv, setSignedCsv] = useState(false);
  const [filed, setFiled] = useState(null);
  const [run, busy, error] = useAction();
  const submit = (e) => {
    e.preventDefault();
    if (!file) return;
    setFiled(null);
    run(async () => { const r = await upload(file, revision, signedCsv); setFiled(r); list.reload(); });
  };
  const rows = list.data ? [...(list.data.reports || [])].sort((a, b) => b.id - a.id) : [];
  const isCsv = file && file.name.toLowerCase().endsWith('.csv');
  const isSigned = file && /\.(p7m|p7s|p7|der|cms|pem)$/i.test(file.name);
  return (
    <div>
      <p class="lead">{t('stats.reports_lead')}</p>
      {canFile && (
        <form class="panel" onSubmit={submit} aria-labelledby="up-title">
          <h2 id="up-title">{t('stats.upload_title')}</h2>
          <div class="form-row">
            <Field label={t('stats.report_file')} hint={t('stats.report_file_hint')} type="file" accept=".json,.csv,.p7m,.p7s,.p7,.der,.pem,.cms"
              onChange={(e) => setFile(e.currentTarget.files[0] || null)} required />
            {isCsv && <Field label={t('stats.revision')} type="number" min="1" value={revision} onInput={(e) => setRevision(e.currentTarget.value)} />}
          </div>
          {isSigned && <label class="check"><input type="checkbox" checked={signedCsv} onChange={(e) => setSignedCsv(e.currentTarget.checked)} /> {t('stats.signed_csv')}</label>}
          <div class="form-actions"><Button type="submit" busy={busy} disabled={!file} data-testid="report-upload">{t('stats.upload')}</Button></div>
          <ErrorBox error={error} />
          {error && <Problems list={error.problems} title={t('stats.problems')} />}
          {filed && (
            <Notice>{t('stats.filed', { id: filed.id, revision: filed.revision })} <a href={`#/stats?tab=reports&report=${filed.id}`}>{t('stats.open_reconciliation')}</a></Notice>
          )}
          {filed && <Problems list={filed.warnings} title={t('stats.warnings')} />}
        </form>
      )}
      {selected && <Reconciliation key={selected} id={selected} />}
      <h2>{t('stats.reports')}</h2>
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table testid="stats-reports" rowKey={(r) => r.id} rows={rows} onRow={(r) => open(r.id)}
          empty={<Empty title={t('stats.no_reports')}>{canFile ? t('stats.no_reports_hint') : t('stats.no_reports_viewer')}</Empty>}
          columns={[
            { key: 'id', label: '№', render: (r) => <a href={`#/stats?tab=reports&report=${r.id}`}>№ {r.id}</a> },
            { key: 'provider', label: t('stats.provider'), render: (r) => r.provider || '#' + r.participant },
            { key: 'period', label: t('stats.period'), render: (r) => r.period || r.start },
            { key: 'revision', label: t('stats.revision'), class: 'num' },
            { key: 'observations', label: t('stats.observations'), class: 'num', render: (r) => fmtNumber(r.observations) },
            { key: 'format', label: t('stats.format'), render: (r) => <span>{r.format}{r.signed && <small class="muted"> · {t('stats.signed')}</small>}</span> },
            { key: 'filed_at', label: t('stats.filed_at'), render: (r) => <Time value={r.filed_at} /> },
            { key: 'csv', label: 'CSV', render: (r) => <a href={`/api/v1/stats/reports/${r.id}?format=csv`} download onClick={(e) => e.stopPropagation()}>CSV</a> },
          ]} />
      )}
    </div>
  );
}

function Reconciliation({ id }) {
  const res = useAsync(() => api.get(`/api/v1/stats/reports/${encodeURIComponent(id)}/reconciliation`), [id]);
  const [cell, setCell] = useState(null);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const d = res.data;
  const cells = d ? (d.cells || []).filter((c) => !onlyDiff || c.delta) : [];
  return (
    <section class="panel" aria-labelledby="rec-title" data-testid="stats-reconciliation">
      <h2 id="rec-title">{t('stats.reconciliation_title', { id })}</h2>
      {res.loading && !d && <Spinner />}
      <ErrorBox error={res.error} />
      {d && (
        <>
          <p class="muted">{t('stats.reconciliation_meta', { period: d.period, revision: d.revision })} <Time value={d.computed_at} /></p>
          <label class="check"><input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.currentTarget.checked)} /> {t('stats.only_differences')}</label>
          <Table rows={cells} rowKey={(c) => c.cell} onRow={(c) => setCell(c.cell)}
            empty={<Empty title={onlyDiff ? t('stats.no_differences') : t('stats.no_cells')} />}
            columns={[
              { key: 'cell_text', label: t('stats.cell'), render: (c) => <code class="mono">{c.cell_text}</code> },
              { key: 'reported', label: t('stats.reported'), class: 'num', render: (c) => fmtNumber(c.reported) },
              { key: 'derived', label: t('stats.derived'), class: 'num', render: (c) => fmtNumber(c.derived) },
              { key: 'delta', label: 'Δ', class: 'num', render: (c) => <span class={c.delta ? 'conf' : ''}>{c.delta > 0 ? '+' : ''}{fmtNumber(c.delta)}</span> },
            ]} />
          {cell !== null && <CellCertificates id={id} cell={cell} />}
        </>
      )}
    </section>
  );
}

function CellCertificates({ id, cell }) {
  const res = useAsync(() => api.get(`/api/v1/stats/reports/${encodeURIComponent(id)}/reconciliation/${cell}`, { limit: 100 }), [id, cell]);
  const d = res.data;
  return (
    <div>
      <h3>{t('stats.cell_certificates', { cell })}</h3>
      {res.loading && !d && <Spinner />}
      <ErrorBox error={res.error} />
      {d && (
        <>
          <p class="muted">{t('stats.cell_counts', { count: fmtNumber(d.count), reported: fmtNumber(d.reported), derived: fmtNumber(d.derived) })}{d.truncated ? ' ' + t('stats.truncated') : ''}</p>
          <Table rows={d.certificates || []} rowKey={(c) => c.sha256}
            empty={<p class="muted">{t('stats.no_cells')}</p>}
            columns={[
              { key: 'issuer', label: t('stats.dim.issuer'), render: (c) => <span class="mono">{c.issuer}</span> },
              { key: 'serial', label: t('stats.serial'), render: (c) => <a href={`#/certificates/${c.sha256}`}><span class="mono">{c.serial}</span></a> },
              { key: 'sha256', label: 'SHA-256', render: (c) => <code class="mono">{shortHex(c.sha256, 16)}</code> },
              { key: 'not_before', label: t('stats.not_before'), render: (c) => <Time value={c.not_before} /> },
              { key: 'ingested_at', label: t('stats.ingested_at'), render: (c) => <Time value={c.ingested_at} /> },
              { key: 'late', label: t('stats.pushed_late'), render: (c) => (c.pushed_late ? t('common.yes') : t('common.no')) },
            ]} />
        </>
      )}
    </div>
  );
}
