// screens/certificates.jsx — certificate search (GET /api/v1/certificates): one indexed
// attribute, status / time / issuer filters, cursor paging, and CSV / JSON export of the whole
// result set (all pages up to a cap, with progress). The query lives in the hash (#/certificates?…).
import { isHolder } from '../lib/session.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { fmtDate } from '../lib/format.js';
import { identifiers, holderName, orgName, displayStatus } from '../lib/cert.js';
import { downloadCSV, downloadJSON } from '../lib/csv.js';
import { href } from '../lib/router.js';
import { Page, Field, Button, Table, ErrorBox, Spinner, Empty, Progress, StatusBadge, useAsync } from '../components/index.js';

export const ATTRS = ['cn', 'drfo', 'edrpou', 'organization_identifier', 'serial_number', 'o', 'email', 'san_email',
  'san_dns', 'unzr', 'sha256', 'spki_sha256', 'issuer_serial'];
const STATUSES = ['any', 'valid', 'revoked', 'expired', 'not_yet_valid'];
const PAGE = 50;
const EXPORT_CAP = 10000;
const FILTERS = ['status', 'issuer', 'issued_after', 'issued_before', 'at'];

function toApiQuery(q) {
  const out = {};
  if (q.kind && q.value) out[q.kind] = q.value.trim();
  if (q.status && q.status !== 'any') out.status = q.status;
  if (q.issuer) out.issuer = q.issuer;
  if (q.issued_after) out.issued_after = new Date(q.issued_after + 'T00:00:00Z').toISOString().replace('.000', '');
  if (q.issued_before) out.issued_before = new Date(q.issued_before + 'T00:00:00Z').toISOString().replace('.000', '');
  if (q.at) out.at = new Date(q.at).toISOString().replace('.000', '');
  return out;
}

export function Ids({ c }) {
  const ids = identifiers(c);
  if (!ids.length) return <span class="muted">—</span>;
  return <span class="ids">{ids.map((i) => <span key={i.label + i.value}><span class="muted">{i.label}:</span> <code>{i.value}</code></span>)}</span>;
}

function exportColumns(t) {
  return [
    { key: 'subject', label: t('certificates.col_subject') },
    { key: 'cn', label: 'CN', value: (c) => holderName(c) },
    { key: 'ids', label: t('certificates.col_ids'), value: (c) => identifiers(c).map((i) => `${i.label}=${i.value}`).join(' ') },
    { key: 'issuer', label: t('certificates.col_issuer') },
    { key: 'serial', label: t('certificates.col_serial') },
    { key: 'status', label: t('certificates.col_status'), value: (c) => displayStatus(c) },
    { key: 'not_before', label: t('certificates.col_from') },
    { key: 'not_after', label: t('certificates.col_to') },
    { key: 'revocation_time', label: t('certificates.col_revoked'), value: (c) => c.revocation && c.revocation.time },
    { key: 'revocation_reason', label: t('certificates.col_reason'), value: (c) => c.revocation && c.revocation.reason },
    { key: 'sha256', label: 'SHA-256' },
  ];
}

function Certificates({ api, t, query, navigate }) {
  const [form, setForm] = useState(() => ({ kind: query.kind || 'cn', value: query.value || '', status: query.status || 'any',
    issuer: query.issuer || '', issued_after: query.issued_after || '', issued_before: query.issued_before || '', at: query.at || '' }));
  const [page, setPage] = useState({ rows: null, next: null, loading: false, error: null });
  const [cursors, setCursors] = useState([]); // cursors of the pages before the current one
  const [cursor, setCursor] = useState(null);
  const [exp, setExp] = useState(null); // { done, of?, format } while exporting
  const cancel = useRef(false);
  const issuers = useAsync(() => api.get('/api/v1/issuers').catch(() => ({ issuers: [] })), []);
  const searched = !!(query.value || FILTERS.some((k) => query[k] && query[k] !== 'any')) || query.all === '1';
  const apiQuery = toApiQuery(query);
  const key = JSON.stringify(apiQuery);

  useEffect(() => { setCursors([]); setCursor(null); }, [key]);
  // The hash is the source of truth: a link or Back/Forward updates the form too.
  useEffect(() => {
    setForm({ kind: query.kind || 'cn', value: query.value || '', status: query.status || 'any', issuer: query.issuer || '',
      issued_after: query.issued_after || '', issued_before: query.issued_before || '', at: query.at || '' });
  }, [JSON.stringify(query)]);
  useEffect(() => {
    if (!searched) { setPage({ rows: null, next: null, loading: false, error: null }); return; }
    let live = true;
    setPage((p) => ({ ...p, loading: true, error: null }));
    api.get('/api/v1/certificates', { ...apiQuery, limit: PAGE, cursor: cursor || undefined }).then(
      (r) => live && setPage({ rows: r.certificates || [], next: r.next_cursor, loading: false, error: null }),
      (e) => live && setPage({ rows: null, next: null, loading: false, error: e }));
    return () => { live = false; };
  }, [key, cursor, searched]);

  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const q = { ...form, value: form.value.trim() };
    // A certificate's own SHA-256 names exactly one certificate: open it.
    if (q.kind === 'sha256' && /^[0-9a-fA-F]{64}$/.test(q.value)) { navigate('/certificates/' + q.value.toLowerCase()); return; }
    if (!q.value) delete q.kind;
    if (q.status === 'any') delete q.status;
    navigate('/certificates', { ...q, all: q.value || FILTERS.some((k) => q[k]) ? undefined : '1' });
  };
  const reset = () => {
    setForm({ kind: 'cn', value: '', status: 'any', issuer: '', issued_after: '', issued_before: '', at: '' });
    navigate('/certificates');
  };

  const doExport = async (format) => {
    cancel.current = false;
    const all = [];
    let c = null;
    setExp({ done: 0, format });
    try {
      do {
        const r = await api.get('/api/v1/certificates', { ...apiQuery, limit: 1000, cursor: c || undefined });
        all.push(...(r.certificates || []));
        c = r.next_cursor;
        setExp({ done: all.length, format });
      } while (c && all.length < EXPORT_CAP && !cancel.current);
      if (cancel.current) { setExp(null); return; }
      const rows = all.slice(0, EXPORT_CAP);
      const name = 'certificates-' + new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      if (format === 'csv') downloadCSV(name + '.csv', rows, exportColumns(t));
      else downloadJSON(name + '.json', { query: apiQuery, truncated: !!c, certificates: rows });
      setExp({ done: rows.length, format, finished: true, truncated: !!c });
    } catch (e) {
      setExp({ error: e });
    }
  };

  const issuerOptions = [['', t('certificates.any_issuer')], ...((issuers.data && issuers.data.issuers) || []).map((i) => [i.name, i.name])];
  const rows = page.rows;
  const pageNo = cursors.length + 1;

  return (
    <Page title={t('certificates.title')}>
      <form class="panel" onSubmit={submit} data-testid="search-form" role="search" aria-label={t('certificates.search')}>
        <div class="form-row">
          <Field as="select" label={t('certificates.attr')} value={form.kind} onChange={set('kind')}
            options={ATTRS.map((a) => [a, tOr('certificates.attrs.' + a, a)])} />
          <Field label={t('certificates.value')} hint={tOr('certificates.attr_hint.' + form.kind, t('certificates.value_hint'))}
            value={form.value} onInput={set('value')} spellcheck={false} type="search" class="grow" />
        </div>
        <div class="form-row">
          <Field as="select" label={t('certificates.status')} value={form.status} onChange={set('status')}
            options={STATUSES.map((s) => [s, t('certificates.statuses.' + s)])} />
          <Field as="select" label={t('certificates.issuer')} value={form.issuer} onChange={set('issuer')} options={issuerOptions} />
          <Field label={t('certificates.issued_after')} type="date" value={form.issued_after} onInput={set('issued_after')} />
          <Field label={t('certificates.issued_before')} type="date" value={form.issued_before} onInput={set('issued_before')} />
          <Field label={t('certificates.at')} hint={t('certificates.at_hint')} type="datetime-local" value={form.at} onInput={set('at')} />
        </div>
        <div class="form-actions">
          <Button type="submit">{t('common.search')}</Button>
          <Button kind="secondary" onClick={reset}>{t('common.reset')}</Button>
        </div>
      </form>

      {!searched && (
        <Empty title={t('certificates.start')}>
          {t('certificates.start_hint')} <a href={href('/certificates', { all: '1' })}>{t('certificates.browse_all')}</a>
        </Empty>
      )}
      <ErrorBox error={page.error} />
      {searched && page.loading && <Spinner label={t('certificates.searching')} />}
      {searched && rows && !page.loading && (
        <section aria-labelledby="results-h" data-testid="search-results">
          <div class="page-head">
            <h2 id="results-h">{t('certificates.results', { page: pageNo, n: rows.length })}</h2>
            {rows.length > 0 && (
              <div class="page-actions">
                <Button kind="secondary" disabled={!!(exp && !exp.finished && !exp.error)} onClick={() => doExport('csv')}>{t('certificates.export_csv')}</Button>
                <Button kind="secondary" disabled={!!(exp && !exp.finished && !exp.error)} onClick={() => doExport('json')}>{t('certificates.export_json')}</Button>
              </div>
            )}
          </div>
          {exp && !exp.finished && !exp.error && (
            <div class="form-actions">
              <Progress label={t('certificates.exporting', { n: exp.done, cap: EXPORT_CAP })} value={exp.done} max={EXPORT_CAP} />
              <Button kind="link" onClick={() => { cancel.current = true; }}>{t('common.cancel')}</Button>
            </div>
          )}
          {exp && exp.finished && <p class="notice notice-ok" role="status">{t(exp.truncated ? 'certificates.exported_cap' : 'certificates.exported', { n: exp.done })}</p>}
          {exp && exp.error && <ErrorBox error={exp.error} />}
          <Table caption={t('certificates.caption')} rows={rows} rowKey={(c) => c.sha256}
            empty={<Empty title={t('certificates.none')}>{t('certificates.none_hint')}</Empty>}
            columns={[
              { key: 'holder', label: t('certificates.col_holder'), render: (c) => (
                <><a href={'#/certificates/' + c.sha256}><strong>{holderName(c)}</strong></a>{orgName(c) && <div class="muted">{orgName(c)}</div>}</>) },
              { key: 'ids', label: t('certificates.col_ids'), render: (c) => <Ids c={c} /> },
              { key: 'issuer', label: t('certificates.col_issuer'), render: (c) => <span title={c.issuer_dn}>{c.issuer}</span> },
              { key: 'serial', label: t('certificates.col_serial'), render: (c) => <code class="small">{c.serial}</code> },
              { key: 'status', label: t('certificates.col_status'), render: (c) => <StatusBadge status={displayStatus(c)} /> },
              { key: 'validity', label: t('certificates.col_validity'), render: (c) => <span class="nowrap">{fmtDate(c.not_before)} – {fmtDate(c.not_after)}</span> },
            ]} />
          <nav class="pager" aria-label={t('certificates.paging')}>
            <Button kind="secondary" disabled={cursors.length === 0} onClick={() => { const p = cursors.slice(0, -1); setCursor(cursors[cursors.length - 1] || null); setCursors(p); }}>{t('common.prev')}</Button>
            <span>{t('certificates.page', { n: pageNo })}</span>
            <Button kind="secondary" disabled={!page.next} onClick={() => { setCursors([...cursors, cursor]); setCursor(page.next); }}>{t('common.next')}</Button>
          </nav>
        </section>
      )}
    </Page>
  );
}

export const screen = {
  id: 'certificates', route: '/certificates', nav: 'nav.certificates', public: false, visible: (me) => !!me && !isHolder(me), Component: Certificates,
};
