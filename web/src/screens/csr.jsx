// screens/csr.jsx — CSR uniqueness: check a certificate request (POST /api/v1/csr/check) from a
// file or pasted PEM; QTSP operators may check-and-reserve it (POST /api/v1/csr/reservations);
// the reservations list (GET /api/v1/csr/reservations: state filter, paging) with commit (link the
// issued certificate) and release.
import { isHolder } from '../lib/session.js';
import { useEffect, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { Page, Field, Button, Table, ErrorBox, Empty, Notice, StatusBadge, Time, Confirm, Spinner, useAsync } from '../components/index.js';

async function readCsr(file, pem) {
  if (file) {
    const buf = new Uint8Array(await file.arrayBuffer());
    const head = new TextDecoder().decode(buf.slice(0, 64));
    if (head.includes('-----BEGIN')) return new TextDecoder().decode(buf);
    let s = '';
    for (let i = 0; i < buf.length; i++) s += String.fromCharCode(buf[i]);
    return btoa(s); // base64 DER
  }
  return pem.trim();
}

function CheckResult({ r, t }) {
  return (
    <section class="panel" aria-labelledby="csr-res-h" data-testid="csr-result" data-unique={r.unique ? 'true' : 'false'}>
      <h2 id="csr-res-h">{t('csr.result')}</h2>
      <div class="status-big">
        <span class={'badge badge-' + (r.unique ? 'good' : 'revoked')}>{r.unique ? t('csr.unique') : t('csr.not_unique')}</span>
        {!r.unique && <span>{tOr('csr.code.' + r.code, r.message || r.code)}</span>}
      </div>
      {r.message && !r.unique && <p>{r.message}</p>}
      <dl class="props">
        {r.holder && <>
          <dt>{t('csr.holder')}</dt><dd>{t('csr.participant_n', { n: r.holder.participant })}, <StatusBadge status={r.holder.state} />, {tOr('csr.origin.' + r.holder.origin, r.holder.origin)}</dd>
          <dt>{t('csr.first_seen')}</dt><dd><Time value={r.holder.first_seen} seconds /></dd>
        </>}
        <dt>{t('csr.renewal')}</dt><dd>{r.renewal ? t('common.yes') : t('common.no')}</dd>
        <dt>{t('csr.pop')}</dt><dd>{r.pop_verified ? t('csr.pop_ok') : t('csr.pop_no')}</dd>
        <dt>{t('csr.csr_sha256')}</dt><dd><code>{r.csr_sha256}</code></dd>
        <dt>{t('csr.spki_sha256')}</dt><dd><code>{r.spki_sha256}</code> <a href={`#/certificates?kind=spki_sha256&value=${r.spki_sha256}`}>{t('csr.find_certs')}</a></dd>
      </dl>
    </section>
  );
}

const RES_STATES = ['reserved', 'issued', 'revoked', 'released', 'expired'];
const RES_PAGE = 50;

function Reservations({ me, api, t, refresh }) {
  // GET /api/v1/csr/reservations: newest first, the caller's own (a central-body admin sees
  // everyone's), filtered by state, paged with before=<next>.
  const [state, setState] = useState('');
  const [rows, setRows] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(false);
  const [listErr, setListErr] = useState(null);
  const [commitFor, setCommitFor] = useState(null);
  const [cert, setCert] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [releaseFor, setReleaseFor] = useState(null);
  const mayWrite = me.may && me.may.write && me.kind === 'qtsp';

  const load = async (before) => {
    setLoading(true); setListErr(null);
    try {
      const q = { limit: RES_PAGE };
      if (state) q.state = state;
      if (before) q.before = before;
      const r = await api.get('/api/v1/csr/reservations', q);
      const got = r.reservations || [];
      setRows((l) => (before ? [...l, ...got.filter((x) => !l.some((y) => y.id === x.id))] : got));
      setNext(r.next ?? null);
    } catch (err) { setListErr(err); }
    setLoading(false);
  };
  useEffect(() => { load(null); }, [state, refresh]);

  const update = (res) => setRows((l) => l.map((x) => (x.id === res.id ? res : x)));
  const doCommit = async () => {
    setBusy(true); setError(null);
    const v = cert.trim();
    const body = /^[0-9a-fA-F]{64}$/.test(v) ? { certificate_sha256: v.toLowerCase() } : { certificate: v };
    try {
      const r = await api.post(`/api/v1/csr/reservations/${commitFor.id}/commit`, body);
      update(r.reservation || { ...commitFor, state: 'issued' }); setCommitFor(null); setCert('');
    } catch (err) { setError(err); }
    setBusy(false);
  };
  const doRelease = async () => {
    setBusy(true); setError(null);
    try {
      const r = await api.post(`/api/v1/csr/reservations/${releaseFor.id}/release`, {});
      update(r.reservation || { ...releaseFor, state: 'released' }); setReleaseFor(null);
    } catch (err) { setError(err); }
    setBusy(false);
  };

  return (
    <section aria-labelledby="resv-h">
      <h2 id="resv-h">{t('csr.reservations')}</h2>
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <Field as="select" label={t('csr.state_filter')} value={state} onChange={(e) => setState(e.currentTarget.value)}
          options={[['', t('csr.state_any')], ...RES_STATES.map((x) => [x, tOr('common.status.' + x, x)])]} />
      </form>
      <ErrorBox error={listErr} />
      <Table caption={t(me.may && me.may.central_body ? 'csr.reservations_caption_all' : 'csr.reservations_caption')} rows={rows} rowKey={(r) => r.id}
        empty={loading ? <Spinner /> : <Empty title={t(state ? 'csr.no_reservations_state' : 'csr.no_reservations')}>{mayWrite ? t('csr.no_reservations_hint') : t('csr.no_reservations_viewer')}</Empty>}
        columns={[
          { key: 'id', label: 'ID', render: (r) => r.id },
          ...(me.may && me.may.central_body ? [{ key: 'participant', label: t('csr.participant'), render: (r) => t('csr.participant_n', { n: r.participant }) }] : []),
          { key: 'state', label: t('csr.state'), render: (r) => <StatusBadge status={r.state} /> },
          { key: 'created', label: t('csr.created'), render: (r) => <Time value={r.created} /> },
          { key: 'expires', label: t('csr.expires'), render: (r) => <Time value={r.expires} /> },
          { key: 'spki', label: t('csr.spki_sha256'), render: (r) => <code class="small">{(r.spki_sha256 || '').slice(0, 16)}…</code> },
          { key: 'cert', label: t('csr.certificate'), render: (r) => r.certificate_sha256 ? <a href={'#/certificates/' + r.certificate_sha256}>{r.certificate_sha256.slice(0, 12)}…</a> : '—' },
          { key: 'actions', label: t('common.actions'), render: (r) => mayWrite && r.state === 'reserved' ? (
            <span class="form-actions">
              <Button kind="secondary" onClick={() => { setCommitFor(r); setError(null); }}>{t('csr.commit')}</Button>
              <Button kind="secondary" onClick={() => { setReleaseFor(r); setError(null); }}>{t('csr.release')}</Button>
            </span>) : '—' },
        ]} />
      {loading && rows.length > 0 && <Spinner />}
      {next != null && !loading && <div class="form-actions"><Button kind="secondary" onClick={() => load(next)}>{t('csr.more')}</Button></div>}
      <Confirm open={!!commitFor} title={t('csr.commit_title', { id: commitFor && commitFor.id })} busy={busy} confirmLabel={t('csr.commit')}
        onCancel={() => setCommitFor(null)} onConfirm={doCommit}>
        <Field as="textarea" label={t('csr.commit_cert')} hint={t('csr.commit_hint')} value={cert} onInput={(e) => setCert(e.currentTarget.value)} spellcheck={false} />
        {error && <ErrorBox error={error} />}
      </Confirm>
      <Confirm open={!!releaseFor} title={t('csr.release_title', { id: releaseFor && releaseFor.id })} message={t('csr.release_text')} busy={busy}
        confirmLabel={t('csr.release')} onCancel={() => setReleaseFor(null)} onConfirm={doRelease}>
        {error && <ErrorBox error={error} />}
      </Confirm>
    </section>
  );
}

function Csr({ me, api, t }) {
  const [pem, setPem] = useState('');
  const [file, setFile] = useState(null);
  const [issuer, setIssuer] = useState('');
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const [reserved, setReserved] = useState(null);
  const [refresh, setRefresh] = useState(0);
  const issuers = useAsync(() => api.get('/api/v1/issuers').then((r) => r.issuers || [], () => []), []);
  const mine = (issuers.data || []).filter((i) => !me.issuers || me.issuers.includes(i.name));
  const mayReserve = me.may && me.may.write && me.kind === 'qtsp';

  const run = async (kind) => {
    setBusy(kind); setError(null); setResult(null); setReserved(null);
    try {
      const csr = await readCsr(file, pem);
      if (!csr) throw { message: t('csr.need') };
      const body = { csr };
      if (issuer) body.issuer = issuer;
      if (kind === 'check') setResult(await api.post('/api/v1/csr/check', body));
      else {
        const r = await api.post('/api/v1/csr/reservations', body);
        setReserved(r.reservation);
        setRefresh((n) => n + 1);
      }
    } catch (e) { setError(e); }
    setBusy('');
  };

  return (
    <Page title={t('csr.title')}>
      <p class="lead">{t('csr.lead')}</p>
      <form class="panel" onSubmit={(e) => { e.preventDefault(); run('check'); }}>
        <Field label={t('csr.file')} hint={t('csr.file_hint')} type="file" accept=".csr,.p10,.req,.pem,.der" onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
        <Field as="textarea" label={t('csr.pem')} value={pem} onInput={(e) => setPem(e.currentTarget.value)} spellcheck={false} placeholder="-----BEGIN CERTIFICATE REQUEST-----" />
        <Field as="select" label={t('csr.issuer')} hint={t('csr.issuer_hint')} value={issuer} onChange={(e) => setIssuer(e.currentTarget.value)}
          options={[['', t('csr.no_issuer')], ...mine.map((i) => [i.name, i.name])]} />
        <div class="form-actions">
          <Button type="submit" busy={busy === 'check'}>{t('csr.check')}</Button>
          {mayReserve && <Button kind="secondary" busy={busy === 'reserve'} onClick={() => run('reserve')}>{t('csr.reserve')}</Button>}
        </div>
      </form>
      <ErrorBox error={error} />
      {reserved && <Notice kind="ok">{t('csr.reserved', { id: reserved.id })} <Time value={reserved.expires} /></Notice>}
      {result && <CheckResult r={result} t={t} />}
      <Reservations me={me} api={api} t={t} refresh={refresh} />
    </Page>
  );
}

export const screen = {
  id: 'csr', route: '/csr', nav: 'nav.csr', public: false, visible: (me) => !!me && !isHolder(me), Component: Csr,
};
