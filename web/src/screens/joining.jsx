// screens/joining.jsx — "Приєднання" (#/joining), public: an organisation files a signed
// application (docs/joining.md) without an account, and follows it by number and secret.
//   tab "file":   what the application does (join, join + grant, grant, block), the organisation,
//                 a QTSP's CA certificates, the representatives or the block → the document in
//                 canonical form shown for review → signed here with the head's key file into a
//                 CMS SignedData that encapsulates it (lib/cms.js), or a ready .p7s made by
//                 `openssl cms -sign -nodetach -binary` → POST /api/v1/joining/applications,
//                 or with the head's cloud key on a phone through a QR link (POST /api/v1/auth/qr
//                 with "sign"; trustmon files it, components/qr_flow.jsx) → the number and the
//                 secret, shown once;
//   tab "status": number + secret → POST /api/v1/joining/status → state, dates, reason, outcome.
// The central body's queue is screens/joining_queue.jsx.
import { useState } from 'preact/hooks';
import { request, ApiError } from '../lib/api.js';
import { tOr } from '../lib/i18n.js';
import { fileBytes, KeyFileError, webCryptoAvailable } from '../lib/keyfile.js';
import { signedFileToB64 } from '../lib/holder.js';
import { download } from '../lib/csv.js';
import { b64ToBytes, bytesToB64 } from '../lib/der.js';
import {
  ACTIONS, ORG_KINDS, ROLES, LIMITS, emptyRep, buildDocument, canonicalJSON, checkForm, readCertificates, certView, certOfTin, byteLength,
} from '../lib/joining.js';
import { KeyInputs, signHere } from './requests.jsx';
import { CopyButton, StateBadge } from './admin/kit.jsx';
import { useQrProviders, useQrFlow, QrStartFields, QrPanel, hintError } from '../components/qr_flow.jsx';
import { Page, Field, Button, ErrorBox, Notice, Tabs, Time, Spinner, Empty } from '../components/index.js';

const DOC_FILE = 'joining-application.json';
const SIGN_CMD = `openssl cms -sign -nodetach -binary -outform DER -in ${DOC_FILE} -signer head.pem -inkey head.key -out joining-application.p7s`;

// A problem found in the page (not by the server), in the interface's language.
const localError = (code) => ({ code, message: tOr('joining.err.' + code, tOr('holder.err.' + code, tOr('login.key_err.' + code, code))), local: true });
const asError = (e) => {
  if (e instanceof ApiError) return e;
  if (e instanceof KeyFileError) return localError(e.code);
  if (e && e.message && /^[a-z_]+$/.test(e.message)) return localError(e.message);
  return e;
};

export const kindsText = (kinds) => (kinds || []).map((k) => tOr('joining.kind.' + k, k)).join(' + ');
export const orgKindText = (k) => tOr('joining.org_kind.' + k, k);
export const roleText = (r) => tOr('shell.role.' + r, r);

// One certificate as a line: CN (or the subject), its identifier, the issuer.
export function CertLine({ view, testid }) {
  if (!view) return <span class="muted">—</span>;
  return (
    <span class="cert-line" data-testid={testid}>
      <strong>{view.cn || view.subject}</strong>
      {view.serialNumber && <> · <code>{view.serialNumber}</code></>}
      {view.orgId && <> · <code>{view.orgId}</code></>}
      <span class="muted small"> — {view.subject}</span>
    </span>
  );
}

// ---- the form ------------------------------------------------------------------------------

const initialForm = () => ({
  action: 'join_grant',
  org: { name: '', code: '', kind: 'system_owner' },
  issuers: [],
  reps: [emptyRep()],
  block: { tin: '', reason: '' },
});

function Representatives({ form, setForm, t, invalid }) {
  const set = (i, patch) => setForm({ ...form, reps: form.reps.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const remove = (i) => setForm({ ...form, reps: form.reps.filter((_, j) => j !== i) });
  const pickCert = async (i, e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    if (!f) { set(i, { cert: null, certError: null }); return; }
    try {
      const [view] = readCertificates(await fileBytes(f));
      set(i, { cert: view, certError: null });
    } catch { set(i, { cert: null, certError: 'cert_unreadable' }); }
  };
  return (
    <fieldset class="joining-group" data-testid="joining-reps">
      <legend>{t('joining.reps')}</legend>
      <p class="hint">{t('joining.reps_hint')}</p>
      {form.reps.map((r, i) => (
        <fieldset key={i} class="rep-row" data-testid="joining-rep" aria-label={t('joining.rep_n', { n: i + 1 })}>
          <legend class="rep-legend">{t('joining.rep_n', { n: i + 1 })}</legend>
          <div class="form-row">
            <Field label={t('joining.rep_name')} id={'joining-rep-name-' + i} value={r.name} autocomplete="off" aria-invalid={invalid('rep-name-' + i)}
              onInput={(e) => set(i, { name: e.currentTarget.value })} data-testid="joining-rep-name" />
            <Field label={t('joining.rep_tin')} hint={t('joining.tin_hint')} id={'joining-rep-tin-' + i} value={r.tin} inputMode="numeric" maxLength={10}
              autocomplete="off" aria-invalid={invalid('rep-tin-' + i)} onInput={(e) => set(i, { tin: e.currentTarget.value })} data-testid="joining-rep-tin" />
            <Field as="select" label={t('joining.rep_role')} id={'joining-rep-role-' + i} value={r.role} aria-invalid={invalid('rep-role-' + i)}
              onChange={(e) => set(i, { role: e.currentTarget.value })} options={ROLES.map((x) => [x, roleText(x)])} data-testid="joining-rep-role" />
          </div>
          <Field label={t('joining.rep_cert')} hint={t('joining.rep_cert_hint')} id={'joining-rep-cert-' + i} type="file" accept=".pem,.crt,.cer,.der"
            onChange={(e) => pickCert(i, e)} data-testid="joining-rep-cert" />
          {r.cert && (
            <p class="cert-pick">
              <CertLine view={r.cert} testid="joining-rep-cert-subject" />
              {r.tin.trim() && !certOfTin(r.cert, r.tin) && <span class="notice-inline warn" data-testid="joining-rep-cert-mismatch"> {t('joining.rep_cert_mismatch', { tin: r.tin.trim() })}</span>}
            </p>
          )}
          {r.certError && <ErrorBox error={localError(r.certError)} />}
          {form.reps.length > 1 && (
            <div class="form-actions"><Button kind="link" onClick={() => remove(i)} data-testid="joining-rep-remove">{t('joining.rep_remove', { n: i + 1 })}</Button></div>
          )}
        </fieldset>
      ))}
      {form.reps.length < LIMITS.representatives && (
        <div class="form-actions">
          <Button kind="secondary" onClick={() => setForm({ ...form, reps: [...form.reps, emptyRep()] })} data-testid="joining-rep-add">{t('joining.rep_add')}</Button>
        </div>
      )}
    </fieldset>
  );
}

function Issuers({ form, setForm, t, invalid }) {
  const [error, setError] = useState(null);
  const pick = async (e) => {
    const files = Array.from(e.currentTarget.files || []);
    setError(null);
    const got = [];
    for (const f of files) {
      try { got.push(...readCertificates(await fileBytes(f))); } catch { setError(localError('cert_unreadable')); }
    }
    const seen = new Set(form.issuers.map((x) => x.subject + '|' + x.serial));
    const added = got.filter((x) => !seen.has(x.subject + '|' + x.serial) && seen.add(x.subject + '|' + x.serial));
    setForm({ ...form, issuers: [...form.issuers, ...added] });
    e.currentTarget.value = '';
  };
  const remove = (i) => setForm({ ...form, issuers: form.issuers.filter((_, j) => j !== i) });
  return (
    <fieldset class="joining-group" data-testid="joining-issuers">
      <legend>{t('joining.issuers')}</legend>
      <Field label={t('joining.issuers_file')} hint={t('joining.issuers_hint')} id="joining-issuers-file" type="file" multiple
        accept=".pem,.crt,.cer,.der" onChange={pick} aria-invalid={invalid('issuers')} data-testid="joining-issuers-file" />
      <ErrorBox error={error} />
      {form.issuers.length > 0 && (
        <ul class="plain-list" data-testid="joining-issuers-list">
          {form.issuers.map((c, i) => (
            <li key={c.subject + c.serial}>
              <CertLine view={c} testid="joining-issuer-subject" />{' '}
              <Button kind="link" onClick={() => remove(i)} aria-label={t('joining.issuer_remove', { name: c.cn || c.subject })}>{t('common.delete')}</Button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

function ApplicationForm({ form, setForm, t, problems, onPrepare }) {
  const kinds = ACTIONS[form.action];
  const join = kinds.includes('join');
  const invalid = (field) => (problems.some((p) => p.field === field) ? 'true' : undefined);
  const setOrg = (k) => (e) => setForm({ ...form, org: { ...form.org, [k]: e.currentTarget.value } });
  const setBlock = (k) => (e) => setForm({ ...form, block: { ...form.block, [k]: e.currentTarget.value } });
  return (
    <form class="panel" onSubmit={onPrepare} aria-labelledby="joining-form-h" data-testid="joining-form" noValidate>
      <h2 id="joining-form-h">{t('joining.form_title')}</h2>
      <p class="lead">{t('joining.form_lead')}</p>
      <fieldset class="joining-group">
        <legend>{t('joining.action')}</legend>
        {Object.keys(ACTIONS).map((a) => (
          <label class="check" key={a}>
            <input type="radio" name="joining-action" value={a} checked={form.action === a} onChange={() => setForm({ ...form, action: a })}
              data-testid={'joining-action-' + a} />
            <span><strong>{t('joining.action_' + a)}</strong> <span class="muted small">{t('joining.action_' + a + '_hint')}</span></span>
          </label>
        ))}
      </fieldset>
      <fieldset class="joining-group">
        <legend>{t('joining.organisation')}</legend>
        <div class="form-row">
          {join && <Field class="grow" label={t('joining.org_name')} id="joining-org-name" value={form.org.name} onInput={setOrg('name')}
            aria-invalid={invalid('name')} autocomplete="organization" data-testid="joining-org-name" />}
          <Field label={t('joining.org_code')} hint={t('joining.org_code_hint')} id="joining-org-code" value={form.org.code} onInput={setOrg('code')}
            inputMode="numeric" maxLength={8} autocomplete="off" aria-invalid={invalid('code')} data-testid="joining-org-code" />
          {join && <Field as="select" label={t('joining.org_kind_label')} id="joining-org-kind" value={form.org.kind} onChange={setOrg('kind')}
            aria-invalid={invalid('kind')} options={ORG_KINDS.map((k) => [k, orgKindText(k)])} data-testid="joining-org-kind" />}
        </div>
        {!join && <p class="hint">{t('joining.org_existing')}</p>}
      </fieldset>
      {join && form.org.kind === 'qtsp' && <Issuers form={form} setForm={setForm} t={t} invalid={invalid} />}
      {kinds.includes('grant') && <Representatives form={form} setForm={setForm} t={t} invalid={invalid} />}
      {kinds.includes('block') && (
        <fieldset class="joining-group" data-testid="joining-block">
          <legend>{t('joining.block')}</legend>
          <Field label={t('joining.block_tin')} hint={t('joining.tin_hint')} id="joining-block-tin" value={form.block.tin} onInput={setBlock('tin')}
            inputMode="numeric" maxLength={10} autocomplete="off" aria-invalid={invalid('block-tin')} data-testid="joining-block-tin" />
          <Field as="textarea" class="short" label={t('joining.block_reason')} id="joining-block-reason" value={form.block.reason} onInput={setBlock('reason')}
            aria-invalid={invalid('block-reason')} data-testid="joining-block-reason" />
        </fieldset>
      )}
      {problems.length > 0 && (
        <div class="error-box" role="alert" data-testid="joining-problems">
          <strong>{t('joining.problems')}</strong>
          <ul>{problems.map((p, i) => <li key={i} data-code={p.code}>{tOr('joining.err.' + p.code, p.code)}</li>)}</ul>
        </div>
      )}
      <div class="form-actions">
        <Button type="submit" data-testid="joining-prepare">{t('joining.prepare')}</Button>
      </div>
    </form>
  );
}

// ---- review, signing, filing -------------------------------------------------------------------

function DocumentSummary({ doc, t }) {
  const org = doc.organisation || {};
  return (
    <dl class="props" data-testid="joining-summary">
      <dt>{t('joining.kinds')}</dt><dd data-testid="joining-summary-kinds">{kindsText(doc.kinds)}</dd>
      <dt>{t('joining.org_code')}</dt><dd class="mono">{org.code}</dd>
      {org.name && <><dt>{t('joining.org_name')}</dt><dd>{org.name}</dd></>}
      {org.kind && <><dt>{t('joining.org_kind_label')}</dt><dd>{orgKindText(org.kind)}</dd></>}
      {doc.issuers && <><dt>{t('joining.issuers')}</dt><dd>{t('joining.n_certificates', { n: doc.issuers.length })}</dd></>}
      {doc.representatives && (
        <><dt>{t('joining.reps')}</dt><dd>
          <ul class="plain-list">{doc.representatives.map((r) => (
            <li key={r.tin}>{r.name} · <code>{r.tin}</code> · {roleText(r.role)}{r.certificate ? ' · ' + t('joining.with_cert') : ''}</li>
          ))}</ul>
        </dd></>
      )}
      {doc.block && <><dt>{t('joining.block_tin')}</dt><dd><code>{doc.block.tin}</code></dd><dt>{t('joining.block_reason')}</dt><dd>{doc.block.reason}</dd></>}
      <dt>{t('joining.date')}</dt><dd><Time value={doc.date} seconds /></dd>
    </dl>
  );
}

function SignerSummary({ certDer, code, t }) {
  let v = null;
  try { v = certDer ? certView(certDer) : null; } catch { v = null; }
  if (!v) return null;
  const of = v.orgId === 'NTRUA-' + code;
  return (
    <div class="cert-pick" data-testid="joining-signer-cert">
      <p><span class="muted">{t('joining.signer')}:</span> <CertLine view={v} /></p>
      {!of && <p class="notice notice-warn" data-testid="joining-signer-mismatch">{t('joining.signer_mismatch', { code })}</p>}
    </div>
  );
}

// The third way to sign: the head's cloud key, confirmed on a phone through a QR link
// (POST /api/v1/auth/qr with "sign": {"purpose": "joining", "document"}); trustmon assembles the
// CMS from the key store's signature and files it, and the poll's final answer carries the
// filing's 201 body. Before the start: the provider and the hint; then the QR panel.
function CloudSign({ t, qr, value, onChange }) {
  const providers = useQrProviders();
  if (qr.active) return <QrPanel qr={qr} ns="joining" ids="joining-qr" testid="joining-qr" />;
  if (providers.loading) return <Spinner />;
  if (providers.error) return <ErrorBox error={providers.error} />;
  if (!providers.list.length) return <Empty title={t('login.qr_no_providers')}>{t('joining.qr_no_providers_hint')}</Empty>;
  return (
    <div class="joining-qr" data-testid="joining-qr-form">
      <p>{t('joining.qr_lead')}</p>
      <QrStartFields list={providers.list} value={value} onChange={onChange} ns="joining" ids="joining-qr" testid="joining-qr" />
      {qr.phase === 'failed' && <p class="hint">{t('login.qr_again')}</p>}
    </div>
  );
}

function Review({ prepared, t, onEdit, onMade }) {
  const [how, setHow] = useState(webCryptoAvailable() ? 'here' : 'file');
  const [k, setK] = useState({ key: null, certDer: null, password: '' });
  const [file, setFile] = useState(null);
  const [cloud, setCloud] = useState({ provider: '', hint: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const qr = useQrFlow((r) => onMade(r.result));
  const { doc, text } = prepared;
  const submit = async (e) => {
    e.preventDefault();
    setError(null); qr.setError(null);
    if (how === 'qr') {
      const bad = hintError(cloud.hint, 'joining');
      if (bad) { setError(bad); return; }
      const body = { provider: cloud.provider, sign: { purpose: 'joining', document: bytesToB64(new TextEncoder().encode(text)) } };
      if (cloud.hint.trim()) body.hint = cloud.hint.trim();
      qr.start(body);
      return;
    }
    setBusy(true);
    try {
      let application;
      if (how === 'file') {
        if (!file) throw new Error('request_unreadable');
        application = signedFileToB64(file);
      } else {
        application = await signHere(new TextEncoder().encode(text), k);
      }
      if (b64ToBytes(application).length > LIMITS.cms) throw new Error('cms_too_large');
      const r = await request('POST', '/api/v1/joining/applications', { body: { application }, noSessionEnd: true });
      setK({ key: null, certDer: null, password: '' });
      onMade(r);
    } catch (err) {
      setError(asError(err));
      setBusy(false);
    }
  };
  const shown = error || (how === 'qr' ? qr.error : null);
  const choose = (h) => { setHow(h); setError(null); };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="joining-review-h" data-testid="joining-review">
      <h2 id="joining-review-h">{t('joining.review_title')}</h2>
      <p class="lead">{t('joining.review_lead')}</p>
      <DocumentSummary doc={doc} t={t} />
      <h3 id="joining-doc-h">{t('joining.doc_exact')}</h3>
      <pre class="cmd joining-doc" data-testid="joining-doc" aria-labelledby="joining-doc-h" tabIndex={0}>{text}</pre>
      <p class="hint">{t('joining.doc_bytes', { n: byteLength(text) })}</p>
      <div class="form-actions">
        <Button kind="secondary" onClick={() => download(DOC_FILE, text, 'application/json')} data-testid="joining-doc-download">{t('joining.doc_download')}</Button>
        <Button kind="link" onClick={onEdit} disabled={qr.active} data-testid="joining-edit">{t('joining.edit')}</Button>
      </div>
      <fieldset class="joining-group" disabled={qr.active}>
        <legend>{t('joining.how')}</legend>
        <label class="check"><input type="radio" name="joining-how" value="here" checked={how === 'here'} onChange={() => choose('here')}
          disabled={!webCryptoAvailable()} data-testid="joining-how-here" />{t('joining.how_here')}</label>
        <label class="check"><input type="radio" name="joining-how" value="qr" checked={how === 'qr'} onChange={() => choose('qr')}
          data-testid="joining-how-qr" />{t('joining.how_qr')}</label>
        <label class="check"><input type="radio" name="joining-how" value="file" checked={how === 'file'} onChange={() => choose('file')}
          data-testid="joining-how-file" />{t('joining.how_file')}</label>
      </fieldset>
      {how === 'here' && (
        <>
          <KeyInputs t={t} value={k} onChange={(v) => { setK(v); if (v.error) setError(v.error); }} prefix="joining" />
          <SignerSummary certDer={k.certDer} code={doc.organisation.code} t={t} />
        </>
      )}
      {how === 'qr' && <CloudSign t={t} qr={qr} value={cloud} onChange={setCloud} />}
      {how === 'file' && (
        <>
          <p>{t('joining.file_steps')}</p>
          <pre class="cmd">{SIGN_CMD}</pre>
          <Field label={t('joining.signed_file')} hint={t('joining.signed_file_hint')} id="joining-file" type="file" accept=".p7s,.p7m,.cms,.der,.pem"
            onChange={async (e) => { const f = e.currentTarget.files && e.currentTarget.files[0]; setFile(f ? await fileBytes(f) : null); }} data-testid="joining-file" />
        </>
      )}
      {shown && <div data-testid="joining-error"><ErrorBox error={shown} title={t('joining.refused')} /></div>}
      {!(how === 'qr' && qr.active) && (
        <div class="form-actions">
          <Button type="submit" busy={how === 'qr' ? qr.busy : busy} data-testid="joining-submit">
            {how === 'here' ? t('joining.sign_submit') : how === 'qr' ? t('joining.qr_start') : t('joining.submit')}
          </Button>
        </div>
      )}
    </form>
  );
}

// The number and the secret, once: prominent, each with a copy button, and the warning.
function Made({ made, t, onStatus, onAnother }) {
  return (
    <section class="panel secret-panel" aria-labelledby="joining-made-h" data-testid="joining-made" data-number={made.number}>
      <h2 id="joining-made-h">{t('joining.made_title')}</h2>
      <p class="lead">{t('joining.made_lead', { kinds: kindsText(made.kinds) })}</p>
      <dl class="props secret-values">
        <dt id="joining-number-label">{t('joining.number')}</dt>
        <dd><code class="secret-value" data-testid="joining-number" aria-labelledby="joining-number-label">{made.number}</code>
          <CopyButton text={made.number} label={t('joining.copy_number')} testid="joining-copy-number" /></dd>
        <dt id="joining-secret-label">{t('joining.secret')}</dt>
        <dd><code class="secret-value" data-testid="joining-secret" aria-labelledby="joining-secret-label">{made.secret}</code>
          <CopyButton text={made.secret} label={t('joining.copy_secret')} testid="joining-copy-secret" /></dd>
      </dl>
      <p class="notice notice-warn secret-warning" data-testid="joining-secret-warning"><strong>{t('joining.secret_once')}</strong> {t('joining.secret_once_hint')}</p>
      <div class="form-actions">
        <Button onClick={onStatus} data-testid="joining-to-status">{t('joining.to_status')}</Button>
        <Button kind="secondary" onClick={onAnother} data-testid="joining-another">{t('joining.another')}</Button>
      </div>
    </section>
  );
}

function FileTab({ t, made, setMade, goStatus }) {
  const [form, setForm] = useState(initialForm);
  const [problems, setProblems] = useState([]);
  const [prepared, setPrepared] = useState(null);   // { doc, text }: frozen for review and signing
  const prepare = (e) => {
    e.preventDefault();
    const p = checkForm(form);
    setProblems(p);
    if (p.length) return;
    const doc = buildDocument(form);
    const text = canonicalJSON(doc);
    if (byteLength(text) > LIMITS.document) { setProblems([{ code: 'document_too_large', field: '' }]); return; }
    setPrepared({ doc, text });
  };
  if (made) return <Made made={made} t={t} onStatus={goStatus} onAnother={() => { setMade(null); setPrepared(null); setForm(initialForm()); }} />;
  if (prepared) return <Review prepared={prepared} t={t} onEdit={() => setPrepared(null)} onMade={setMade} />;
  return <ApplicationForm form={form} setForm={(f) => { setForm(f); if (problems.length) setProblems(checkForm(f)); }} t={t} problems={problems} onPrepare={prepare} />;
}

// ---- status by number and secret -----------------------------------------------------------------

export function StatusView({ s, t }) {
  const org = s.organisation || {};
  return (
    <section class="panel" aria-labelledby="joining-status-h" data-testid="joining-status" data-state={s.state}>
      <h2 id="joining-status-h">{t('joining.status_of', { number: s.number })} <StateBadge status={s.state} ns="joining.state." testid="joining-status-state" /></h2>
      <dl class="props">
        <dt>{t('joining.kinds')}</dt><dd>{kindsText(s.kinds)}</dd>
        <dt>{t('joining.organisation')}</dt><dd>{org.name ? org.name + ' · ' : ''}<code>{org.code}</code>{org.kind ? ' · ' + orgKindText(org.kind) : ''}</dd>
        <dt>{t('joining.filed')}</dt><dd><Time value={s.filed} seconds /></dd>
        {s.decided && <><dt>{t('joining.decided')}</dt><dd><Time value={s.decided} seconds /></dd></>}
        {s.reason && <><dt>{t('joining.reason')}</dt><dd data-testid="joining-status-reason">{s.reason}</dd></>}
        {s.participant !== undefined && s.participant !== null && <><dt>{t('joining.participant')}</dt><dd data-testid="joining-status-participant">#{s.participant}</dd></>}
        {s.representatives && s.representatives.length > 0 && (
          <><dt>{t('joining.reps_created')}</dt><dd>
            <ul class="plain-list" data-testid="joining-status-reps">
              {s.representatives.map((r) => <li key={r.id}>{r.name} · {roleText(r.role)} <span class="muted">(#{r.id})</span></li>)}
            </ul>
          </dd></>
        )}
      </dl>
      {tOr('joining.state_hint.' + s.state, '') && <p class="hint">{tOr('joining.state_hint.' + s.state, '')}</p>}
    </section>
  );
}

function StatusTab({ t, made }) {
  const [number, setNumber] = useState(made ? made.number : '');
  const [secret, setSecret] = useState(made ? made.secret : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [s, setS] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null); setS(null);
    if (!number.trim() || !secret.trim()) { setError(localError('status_missing')); return; }
    setBusy(true);
    try {
      setS(await request('POST', '/api/v1/joining/status', { body: { number: number.trim(), secret: secret.trim() }, noSessionEnd: true }));
    } catch (err) { setError(err); }
    setBusy(false);
  };
  return (
    <>
      <form class="panel" onSubmit={submit} aria-labelledby="joining-status-form-h" data-testid="joining-status-form">
        <h2 id="joining-status-form-h">{t('joining.status_title')}</h2>
        <p class="lead">{t('joining.status_lead')}</p>
        <div class="form-row">
          <Field label={t('joining.number')} hint={t('joining.number_hint')} id="joining-status-number" value={number} autocomplete="off" spellcheck={false}
            onInput={(e) => setNumber(e.currentTarget.value)} data-testid="joining-status-number" />
          <Field label={t('joining.secret')} id="joining-status-secret" type="password" value={secret} autocomplete="off" spellcheck={false}
            onInput={(e) => setSecret(e.currentTarget.value)} data-testid="joining-status-secret" />
        </div>
        {error && <div data-testid="joining-status-error"><ErrorBox error={error} /></div>}
        <div class="form-actions"><Button type="submit" busy={busy} data-testid="joining-status-submit">{t('joining.status_submit')}</Button></div>
      </form>
      {s && <StatusView s={s} t={t} />}
    </>
  );
}

function Joining({ t, query, navigate }) {
  const tab = query.tab === 'status' ? 'status' : 'file';
  const [made, setMade] = useState(null);   // the number and secret of what this page filed
  const go = (id) => navigate('/joining', id === 'file' ? undefined : { tab: id });
  return (
    <Page title={t('joining.title')} testid="joining">
      <p class="lead">{t('joining.lead')}</p>
      <Tabs items={[{ id: 'file', label: t('joining.tab_file') }, { id: 'status', label: t('joining.tab_status') }]} value={tab} onChange={go} label={t('joining.title')} />
      {tab === 'file'
        ? <FileTab t={t} made={made} setMade={setMade} goStatus={() => go('status')} />
        : <StatusTab key={made ? made.number : ''} t={t} made={made} />}
    </Page>
  );
}

export const screen = {
  id: 'joining', route: '/joining', nav: 'nav.joining', public: true, visible: () => true, Component: Joining,
};
