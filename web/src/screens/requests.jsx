// screens/requests.jsx — the holder's requests and the providers' view of them (docs/login.md):
//   #/my/renewals            the holder: renewal without changes in the data — a signed request
//                            (CMS that encapsulates the new CSR, signed with the current
//                            certificate) uploaded ready-made or signed here with the key file;
//                            POST /api/v1/renewals; the list of one's renewals (GET /api/v1/renewals)
//   #/my/revocations         the holder: a revocation request for one of their certificates with an
//                            RFC 5280 reason (CMS over {"issuer","serial","reason"});
//                            POST /api/v1/revocation-requests; the list with states
//   #/renewals/<number>, #/revocation-requests/<number>   one request (holder or provider)
//   #/requests               a QTSP's (or the central body's) "holders' requests": both lists, and
//                            on a request's page accept / reject (a renewal; a revocation request's
//                            accept revokes the certificate)
// A signed request made here uses lib/cms.js with the key file's signer (lib/keyfile.js): the key
// stays in the page as at login.
import { useEffect, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { fmtDate } from '../lib/format.js';
import { isHolder } from '../lib/session.js';
import { bytesToB64, pemBlocks, read } from '../lib/der.js';
import { download } from '../lib/csv.js';
import { readKeyFile, readCertificateFile, decryptPkcs8, makeSigner, webCryptoAvailable, KeyFileError, fileBytes } from '../lib/keyfile.js';
import { signEncapsulated } from '../lib/cms.js';
import { holderRows, certRef, rowName, signedFileToB64, REVOCATION_REASONS } from '../lib/holder.js';
import { may, ReasonDialog, StateBadge } from './admin/kit.jsx';
import { Page, Field, Button, Table, ErrorBox, Spinner, Empty, Notice, Time, Tabs, Confirm, useAsync } from '../components/index.js';

const STATES = ['', 'submitted', 'accepted', 'rejected', 'issued', 'done'];

const localError = (code) => ({ code, message: tOr('holder.err.' + code, tOr('login.key_err.' + code, code)), local: true });
const asError = (e) => (e instanceof KeyFileError ? localError(e.code) : e && e.message === 'request_unreadable' ? localError('request_unreadable') : e);

// ---- signing a request here, or taking a ready signed file --------------------------------

// The key file, its password and the certificate, for signing a request in this page (also the
// joining application's, screens/joining.jsx).
// Sign in the page with a key file, or give a signed file made elsewhere.
function HowToSign({ t, name, value, onChange, fileTestid }) {
  return (
    <fieldset>
      <legend>{t('holder.how')}</legend>
      <label class="check"><input type="radio" name={name} value="here" checked={value === 'here'} onChange={() => onChange('here')} disabled={!webCryptoAvailable()} />{t('holder.how_here')}</label>
      <label class="check"><input type="radio" name={name} value="file" checked={value === 'file'} onChange={() => onChange('file')} data-testid={fileTestid} />{t('holder.how_file')}</label>
    </fieldset>
  );
}

export function KeyInputs({ t, value, onChange, prefix }) {
  const pickKey = async (e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    if (!f) { onChange({ ...value, key: null, error: null }); return; }
    try {
      const r = readKeyFile(await fileBytes(f));
      onChange({ ...value, key: r.key, certDer: value.certDer || r.certDer || null, error: null });
    } catch (err) { onChange({ ...value, key: null, error: asError(err) }); }
  };
  const pickCert = async (e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    if (!f) { onChange({ ...value, certDer: null }); return; }
    try { onChange({ ...value, certDer: readCertificateFile(await fileBytes(f)), error: null }); } catch (err) { onChange({ ...value, certDer: null, error: asError(err) }); }
  };
  return (
    <>
      <p class="hint">{t('holder.key_local')}</p>
      <div class="form-row">
        <Field label={t('holder.key_file')} id={prefix + '-key'} type="file" accept=".pem,.key,.p8,.pk8,.der" onChange={pickKey} data-testid={prefix + '-key'} />
        <Field label={t('holder.cert_file')} id={prefix + '-cert'} type="file" accept=".pem,.crt,.cer,.der" onChange={pickCert} data-testid={prefix + '-cert'} />
      </div>
      {value.key && value.key.encrypted && (
        <Field label={t('login.key_password')} id={prefix + '-password'} type="password" autocomplete="off" value={value.password || ''}
          onInput={(e) => onChange({ ...value, password: e.currentTarget.value })} data-testid={prefix + '-password'} />
      )}
    </>
  );
}

// content bytes + KeyInputs' value → base64 of the CMS SignedData that encapsulates them.
export async function signHere(content, k) {
  if (!k.key) throw new KeyFileError('key_missing');
  if (!k.certDer) throw new KeyFileError('cert_missing');
  if (k.key.encrypted && !k.password) throw new KeyFileError('password_missing');
  const pkcs8 = k.key.encrypted ? await decryptPkcs8(k.key.der, k.password) : k.key.der;
  const signer = await makeSigner(pkcs8, k.certDer);
  return bytesToB64(await signEncapsulated(content, signer));
}

// A CSR file (PEM or DER) → its DER.
function csrDer(buf) {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  let der = buf;
  if (text.includes('-----BEGIN')) {
    const blk = pemBlocks(text).find((x) => /CERTIFICATE REQUEST$/.test(x.label) && x.der);
    if (!blk) throw new Error('csr_unreadable');
    der = blk.der;
  }
  try { if (read(der, 0).end !== der.length) throw new Error('x'); } catch { throw new Error('csr_unreadable'); }
  return der;
}

// ---- the lists --------------------------------------------------------------------------

function useList(api, path, name, state) {
  const [rows, setRows] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  const load = async (before) => {
    setLoading(true); setError(null);
    try {
      const r = await api.get(path, { state: state || undefined, before: before || undefined });
      const got = r[name] || [];
      setRows((l) => (before ? [...l, ...got.filter((x) => !l.some((y) => y.number === x.number))] : got));
      setNext(r.next ?? null);
    } catch (e) { setError(e); }
    setLoading(false);
  };
  useEffect(() => { if (path) load(null); }, [path, state, tick]);
  return { rows, next, loading, error, more: () => load(next), reload: () => setTick((n) => n + 1) };
}

function RequestList({ list, kind, t, testid, caption, provider }) {
  const base = kind === 'renewal' ? '#/renewals/' : '#/revocation-requests/';
  return (
    <>
      {list.loading && !list.rows.length && <Spinner />}
      <ErrorBox error={list.error} />
      {!list.error && (
        <Table caption={caption} rows={list.rows} rowKey={(r) => r.number} testid={testid}
          empty={!list.loading && <Empty title={t('holder.no_requests')}>{provider ? t('holder.no_requests_provider') : t('holder.no_requests_hint')}</Empty>}
          columns={[
            { key: 'number', label: t('holder.col_number'), render: (r) => <a href={base + encodeURIComponent(r.number)} data-testid="request-number">{r.number}</a> },
            { key: 'state', label: t('holder.col_state'), render: (r) => <StateBadge status={r.state} ns="holder.state." /> },
            ...(provider ? [{ key: 'holder', label: t('holder.col_holder'), render: (r) => holderText(r) || '—' }] : []),
            { key: 'cert', label: t('holder.col_cert'), render: (r) => <code class="small">{certRef(r.certificate) || '—'}</code> },
            ...(kind === 'revocation' ? [{ key: 'reason', label: t('holder.col_reason'), render: (r) => (r.reason ? tOr('common.reason.' + r.reason, r.reason) : '—') }] : []),
            { key: 'created', label: t('holder.col_created'), render: (r) => <Time value={r.created} /> },
          ]} />
      )}
      {list.next && <div class="form-actions"><Button kind="secondary" busy={list.loading} onClick={list.more}>{t('holder.more')}</Button></div>}
    </>
  );
}

function holderText(r) {
  const h = r.holder || {};
  const idt = (h.identifiers || []).map((i) => i.value).join(', ');
  const name = h.name || '';
  return [name, idt].filter(Boolean).join(' · ');
}

function StateFilter({ value, onChange, t, id }) {
  return (
    <Field as="select" class="narrow" label={t('holder.filter_state')} id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}
      options={STATES.map((s) => [s, s ? tOr('holder.state.' + s, s) : t('holder.any_state')])} />
  );
}

// ---- the holder: renewal ------------------------------------------------------------------

function RenewalForm({ api, t, onMade }) {
  const [how, setHow] = useState('here');
  const [csr, setCsr] = useState(null);
  const [file, setFile] = useState(null);
  const [k, setK] = useState({ key: null, certDer: null, password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const pick = (set) => async (e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    setError(null);
    set(f ? await fileBytes(f) : null);
  };
  const submit = async (e) => {
    e.preventDefault();
    setError(null); setBusy(true);
    try {
      let request;
      if (how === 'file') {
        if (!file) throw new Error('request_unreadable');
        request = signedFileToB64(file);
      } else {
        if (!csr) throw Object.assign(new Error('csr_unreadable'), { code: 'csr_missing' });
        request = await signHere(csrDer(csr), k);
      }
      const r = await api.post('/api/v1/renewals', { request });
      onMade(r);
      setK({ key: null, certDer: null, password: '' });
    } catch (err) {
      setError(err.code === 'csr_missing' ? localError('csr_missing') : err.message === 'csr_unreadable' ? localError('csr_unreadable') : asError(err));
    }
    setBusy(false);
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="renewal-form-h" data-testid="renewal-form">
      <h2 id="renewal-form-h">{t('holder.renew_title')}</h2>
      <p class="lead">{t('holder.renew_lead')}</p>
      <ol class="steps">
        <li>{t('holder.renew_step_csr')}<pre class="cmd">{'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out new.key\n' +
          'openssl x509 -x509toreq -in current.pem -key new.key -out new.csr.pem\n' +
          'openssl req -in new.csr.pem -outform DER -out new.csr.der'}</pre></li>
        <li>{t('holder.renew_step_sign')}</li>
      </ol>
      <HowToSign t={t} name="renew-how" value={how} onChange={setHow} fileTestid="renewal-how-file" />
      {how === 'here' ? (
        <>
          <Field label={t('holder.csr_file')} hint={t('holder.csr_file_hint')} id="renewal-csr" type="file" accept=".csr,.pem,.der,.p10,.req"
            onChange={pick(setCsr)} data-testid="renewal-csr" />
          <KeyInputs t={t} value={k} onChange={(v) => { setK(v); if (v.error) setError(v.error); }} prefix="renewal" />
        </>
      ) : (
        <>
          <Field label={t('holder.signed_file')} hint={t('holder.renew_signed_hint')} id="renewal-file" type="file" accept=".p7s,.p7m,.cms,.der,.pem"
            onChange={pick(setFile)} data-testid="renewal-file" />
          <pre class="cmd">openssl cms -sign -binary -nodetach -outform DER -in new.csr.der -signer current.pem -inkey current.key -out renewal.p7s</pre>
        </>
      )}
      <ErrorBox error={error} />
      <div class="form-actions"><Button type="submit" busy={busy} data-testid="renewal-submit">{t('holder.renew_submit')}</Button></div>
    </form>
  );
}

// The holder's own requests of one kind: the form that files one, what it made, and the list.
function MyRequests({ api, t, title, testid, path, field, kind, made: madeKey, link, heading, Form, query }) {
  const [state, setState] = useState('');
  const [made, setMade] = useState(null);
  const list = useList(api, path, field, state);
  return (
    <Page title={t(title)} testid={testid}>
      <Form api={api} t={t} query={query} onMade={(r) => { setMade(r); list.reload(); }} />
      {made && (
        <Notice kind="ok"><span data-testid={kind + '-made'} data-number={made.number}>{t(madeKey, { number: made.number })}</span>{' '}
          <a href={link + encodeURIComponent(made.number)}>{t('holder.open')}</a></Notice>
      )}
      <section aria-labelledby={testid + '-h'}>
        <div class="page-head"><h2 id={testid + '-h'}>{t(heading)}</h2></div>
        <div class="form-row"><StateFilter value={state} onChange={setState} t={t} id={testid + '-state'} /></div>
        <RequestList list={list} kind={kind} t={t} testid={kind + '-list'} caption={t(heading)} />
      </section>
    </Page>
  );
}

function MyRenewals({ api, t }) {
  return <MyRequests api={api} t={t} title="holder.renewals_title" testid="my-renewals" path="/api/v1/renewals"
    field="renewals" kind="renewal" made="holder.renew_made" link="#/renewals/" heading="holder.my_renewals" Form={RenewalForm} />;
}

// ---- the holder: revocation request -----------------------------------------------------

function RevocationForm({ api, t, query, onMade }) {
  const certs = useAsync(() => api.get('/api/v1/holder/certificates'), []);
  const rows = holderRows(certs.data).filter((c) => c.group === 'valid' || c.group === 'held');
  const [sel, setSel] = useState(query.cert || '');
  const [reason, setReason] = useState('unspecified');
  const [how, setHow] = useState('here');
  const [file, setFile] = useState(null);
  const [k, setK] = useState({ key: null, certDer: null, password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const keyOf = (c) => c.sha256 || `${c.issuer}/${c.serial}`;
  useEffect(() => { if (!sel && rows.length) setSel(keyOf(rows[0])); }, [rows.length]);
  const cert = rows.find((c) => keyOf(c) === sel);
  const doc = cert ? JSON.stringify({ issuer: cert.issuer, serial: cert.serial, reason }) : '';
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (!cert) { setError(localError('cert_choose')); return; }
    setBusy(true);
    try {
      let request;
      if (how === 'file') {
        if (!file) throw new Error('request_unreadable');
        request = signedFileToB64(file);
      } else {
        request = await signHere(new TextEncoder().encode(doc), k);
      }
      const r = await api.post('/api/v1/revocation-requests', { request });
      onMade(r);
      setK({ key: null, certDer: null, password: '' });
    } catch (err) { setError(asError(err)); }
    setBusy(false);
  };
  if (certs.loading && !certs.data) return <Spinner />;
  if (certs.error) return <ErrorBox error={certs.error} />;
  if (!rows.length) return <Empty title={t('holder.revoke_none')} />;
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="revocation-form-h" data-testid="revocation-form">
      <h2 id="revocation-form-h">{t('holder.revoke_title')}</h2>
      <p class="lead">{t('holder.revoke_lead')}</p>
      <div class="form-row">
        <Field as="select" label={t('holder.revoke_cert')} id="revocation-target" value={sel} onChange={(e) => setSel(e.currentTarget.value)}
          options={rows.map((c) => [keyOf(c), `${rowName(c)} — ${c.issuer} ${c.serial} (${t('holder.until', { date: fmtDate(c.not_after) })})`])} data-testid="revocation-target" />
        <Field as="select" label={t('holder.revoke_reason')} id="revocation-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}
          options={REVOCATION_REASONS.map((r) => [r, tOr('common.reason.' + r, r)])} data-testid="revocation-reason" />
      </div>
      <HowToSign t={t} name="revoke-how" value={how} onChange={setHow} fileTestid="revocation-how-file" />
      {how === 'here' ? (
        <KeyInputs t={t} value={k} onChange={(v) => { setK(v); if (v.error) setError(v.error); }} prefix="revocation" />
      ) : (
        <>
          <p>{t('holder.revoke_doc')}</p>
          <pre class="cmd" data-testid="revocation-doc">{doc}</pre>
          <div class="form-actions">
            <Button kind="secondary" onClick={() => download('revocation-request.json', doc, 'application/json')}>{t('holder.revoke_doc_download')}</Button>
          </div>
          <pre class="cmd">openssl cms -sign -binary -nodetach -outform DER -in revocation-request.json -signer cert.pem -inkey key.pem -out revocation-request.p7s</pre>
          <Field label={t('holder.signed_file')} hint={t('holder.revoke_signed_hint')} id="revocation-file" type="file" accept=".p7s,.p7m,.cms,.der,.pem"
            onChange={async (e) => { const f = e.currentTarget.files && e.currentTarget.files[0]; setFile(f ? await fileBytes(f) : null); }} data-testid="revocation-file" />
        </>
      )}
      <ErrorBox error={error} />
      <div class="form-actions"><Button type="submit" kind="danger" busy={busy} data-testid="revocation-submit">{t('holder.revoke_submit')}</Button></div>
    </form>
  );
}

function MyRevocations({ api, t, query }) {
  return <MyRequests api={api} t={t} query={query} title="holder.revocations_title" testid="my-revocations"
    path="/api/v1/revocation-requests" field="revocation_requests" kind="revocation" made="holder.revoke_made"
    link="#/revocation-requests/" heading="holder.my_revocations" Form={RevocationForm} />;
}

// ---- one request -------------------------------------------------------------------------

function RequestProps({ r, kind, t }) {
  const dec = r.decision;
  const spki = r.csr && r.csr.spki_sha256;
  return (
    <dl class="props" data-testid="request-props">
      <dt>{t('holder.col_number')}</dt><dd data-testid="request-number">{r.number}</dd>
      <dt>{t('holder.col_state')}</dt><dd><StateBadge status={r.state} ns="holder.state." testid="request-state" /></dd>
      {holderText(r) && <><dt>{t('holder.col_holder')}</dt><dd>{holderText(r)}</dd></>}
      <dt>{kind === 'renewal' ? t('holder.current_cert') : t('holder.col_cert')}</dt><dd><code>{certRef(r.certificate) || '—'}</code></dd>
      {r.reason && kind === 'revocation' && <><dt>{t('holder.col_reason')}</dt><dd>{tOr('common.reason.' + r.reason, r.reason)}</dd></>}
      <dt>{t('holder.col_created')}</dt><dd><Time value={r.created} seconds /></dd>
      {r.changed && r.changed !== r.created && <><dt>{t('holder.changed')}</dt><dd><Time value={r.changed} seconds /></dd></>}
      {dec && dec.at && <><dt>{t('holder.decided')}</dt><dd><Time value={dec.at} seconds />{dec.by ? ` (${dec.by})` : ''}</dd></>}
      {dec && dec.reason && <><dt>{t('holder.decision_reason')}</dt><dd>{dec.reason}</dd></>}
      {r.revoked_at && <><dt>{t('holder.revoked_at')}</dt><dd><Time value={r.revoked_at} seconds /></dd></>}
      {r.issued && <><dt>{t('holder.new_cert')}</dt><dd><code data-testid="request-issued">{certRef(r.issued)}</code></dd></>}
      {spki && <><dt>{t('holder.spki')}</dt><dd><code class="small">{spki}</code></dd></>}
    </dl>
  );
}

function RequestPage({ me, api, t, params, kind }) {
  const path = (kind === 'renewal' ? '/api/v1/renewals/' : '/api/v1/revocation-requests/') + encodeURIComponent(params.number);
  const res = useAsync(() => api.get(path), [path]);
  const [dlg, setDlg] = useState(null);   // 'accept' | 'reject' | 'revoke'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const holder = isHolder(me);
  const r = res.data && (kind === 'renewal' ? res.data.renewal : res.data.revocation_request);
  const decide = !holder && may(me, 'write') && r && r.state === 'submitted';
  const act = async (fn, text) => {
    setBusy(true); setError(null);
    try { await fn(); setDlg(null); setMsg(text); res.reload(); } catch (e) { setError(e); }
    setBusy(false);
  };
  const decision = (d, reason) => act(() => api.post(path + '/decision', reason ? { decision: d, reason } : { decision: d }), t('holder.decided_' + d));
  // Accepting a revocation request revokes the certificate with the requested reason.
  const revoke = () => act(() => api.post(path + '/decision', { decision: 'accept' }), t('holder.revoked_done'));
  const back = holder ? (kind === 'renewal' ? '#/my/renewals' : '#/my/revocations') : '#/requests?tab=' + (kind === 'renewal' ? 'renewals' : 'revocations');
  return (
    <Page title={t(kind === 'renewal' ? 'holder.renewal_title' : 'holder.revocation_title', { number: params.number })} testid={kind + '-page'}
      actions={<a class="btn btn-secondary" href={back}>{t('holder.back')}</a>}>
      {res.loading && !res.data && <Spinner />}
      <ErrorBox error={res.error} />
      {msg && <Notice kind="ok">{msg}</Notice>}
      {r && (
        <section class="panel" aria-label={params.number}>
          <RequestProps r={r} kind={kind} t={t} />
          {decide && (
            <div class="form-actions">
              {kind === 'renewal'
                ? <Button onClick={() => setDlg('accept')} data-testid="request-accept">{t('holder.accept')}</Button>
                : <Button kind="danger" onClick={() => setDlg('revoke')} data-testid="request-revoke">{t('holder.revoke_cert_now')}</Button>}
              <Button kind="secondary" onClick={() => setDlg('reject')} data-testid="request-reject">{t('holder.reject')}</Button>
            </div>
          )}
          {!dlg && <ErrorBox error={error} />}
        </section>
      )}
      <Confirm open={dlg === 'accept'} title={t('holder.accept_title', { number: params.number })} message={t('holder.accept_text')} busy={busy}
        confirmLabel={t('holder.accept')} onCancel={() => setDlg(null)} onConfirm={() => decision('accept')}>
        <ErrorBox error={error} />
      </Confirm>
      <Confirm open={dlg === 'revoke'} title={t('holder.revoke_cert_title', { number: params.number })} message={t('holder.revoke_cert_text')} danger busy={busy}
        confirmLabel={t('holder.revoke_cert_now')} onCancel={() => setDlg(null)} onConfirm={revoke}>
        <ErrorBox error={error} />
      </Confirm>
      <ReasonDialog open={dlg === 'reject'} title={t('holder.reject_title', { number: params.number })} confirmLabel={t('holder.reject')} busy={busy}
        error={error} onCancel={() => setDlg(null)} onConfirm={(reason) => decision('reject', reason)} />
    </Page>
  );
}

// ---- the provider's view ------------------------------------------------------------------

function ProviderRequests({ api, t, query, navigate }) {
  const tab = query.tab === 'revocations' ? 'revocations' : 'renewals';
  const [state, setState] = useState('');
  const renewals = useList(api, tab === 'renewals' ? '/api/v1/renewals' : null, 'renewals', state);
  const revocations = useList(api, tab === 'revocations' ? '/api/v1/revocation-requests' : null, 'revocation_requests', state);
  return (
    <Page title={t('holder.requests_title')} testid="holder-requests">
      <p class="lead">{t('holder.requests_lead')}</p>
      <Tabs items={[{ id: 'renewals', label: t('holder.tab_renewals') }, { id: 'revocations', label: t('holder.tab_revocations') }]}
        value={tab} onChange={(id) => navigate('/requests', { tab: id })} label={t('holder.requests_title')} />
      <div class="form-row"><StateFilter value={state} onChange={setState} t={t} id="requests-state" /></div>
      {tab === 'renewals'
        ? <RequestList list={renewals} kind="renewal" t={t} testid="provider-renewals" caption={t('holder.tab_renewals')} provider />
        : <RequestList list={revocations} kind="revocation" t={t} testid="provider-revocations" caption={t('holder.tab_revocations')} provider />}
    </Page>
  );
}

const representative = (me) => !!me && !isHolder(me);
const providerSide = (me) => representative(me) && (me.kind === 'qtsp' || may(me, 'central_body'));

export const requestScreens = [
  { id: 'my_renewals', route: '/my/renewals', nav: 'nav.my_renewals', public: false, visible: isHolder, Component: MyRenewals },
  { id: 'my_revocations', route: '/my/revocations', nav: 'nav.my_revocations', public: false, visible: isHolder, Component: MyRevocations },
  { id: 'requests', route: '/requests', nav: 'nav.requests', public: false, visible: providerSide, Component: ProviderRequests },
  { id: 'renewal', route: '/renewals/:number', nav: null, public: false, visible: (me) => isHolder(me) || providerSide(me),
    Component: (p) => <RequestPage {...p} kind="renewal" /> },
  { id: 'revocation_request', route: '/revocation-requests/:number', nav: null, public: false, visible: (me) => isHolder(me) || providerSide(me),
    Component: (p) => <RequestPage {...p} kind="revocation" /> },
];
