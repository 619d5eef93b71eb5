// screens/login.jsx — the login screen: a qualified signature (a key file signed in this page, or
// a cloud key confirmed on a phone through a QR link; docs/login.md) or an API token
// (POST /api/v1/auth/token). Also rendered by the shell as the gate of every screen that needs a
// session, and shows why a session ended (blocked, revoked, expired) when the server ended it.
import { useState } from 'preact/hooks';
import { login, loginWithSigner, completeLogin, getSession, clearEnded, isHolder } from '../lib/session.js';
import { tOr, errorText } from '../lib/i18n.js';
import { fmtDate, dnAttr } from '../lib/format.js';
import { readKeyFile, readCertificateFile, decryptPkcs8, makeSigner, webCryptoAvailable, KeyFileError, fileBytes } from '../lib/keyfile.js';
import { parseCertificate } from '../lib/x509.js';
import { useQrProviders, useQrFlow, QrStartFields, QrPanel, hintError } from '../components/qr_flow.jsx';
import { Page, Field, Button, ErrorBox, Tabs, Spinner, Empty } from '../components/index.js';

// Where to go after a login: the asked-for route, else the first screen of the role.
function after(query, navigate, gate) {
  if (gate) return;
  const me = getSession().me;
  const home = isHolder(me) ? '/my/certificates' : '/certificates';
  navigate(query.next && query.next !== '/login' ? query.next : home);
}

// A local problem with the key or certificate file, in the interface's language.
function keyError(e) {
  if (e instanceof KeyFileError) return { code: e.code, message: tOr('login.key_err.' + e.code, e.code), local: true };
  return e;
}

function CertSummary({ der, t }) {
  let c;
  try { c = parseCertificate(der); } catch { return null; }
  return (
    <dl class="props cert-summary" data-testid="login-cert-summary">
      <dt>{t('login.cert_subject')}</dt><dd>{dnAttr(c.subject, 'CN') || c.subject}{dnAttr(c.subject, 'serialNumber') && <> · <code>{dnAttr(c.subject, 'serialNumber')}</code></>}</dd>
      <dt>{t('login.cert_issuer')}</dt><dd>{dnAttr(c.issuer, 'CN') || c.issuer}</dd>
      <dt>{t('login.cert_valid')}</dt><dd>{fmtDate(c.notBefore)} – {fmtDate(c.notAfter)}</dd>
    </dl>
  );
}

// Key file: PKCS#8 (optionally encrypted) and the certificate; the challenge is signed here.
function KeyFileLogin({ t, query, navigate, gate }) {
  const [key, setKey] = useState(null);        // { encrypted, der, name } — in memory only
  const [certDer, setCertDer] = useState(null);
  const [certFromKey, setCertFromKey] = useState(false);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const pickKey = async (e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    setError(null); setKey(null);
    if (certFromKey) { setCertDer(null); setCertFromKey(false); }
    if (!f) return;
    try {
      const r = readKeyFile(await fileBytes(f));
      setKey({ ...r.key, name: f.name });
      if (r.certDer && !certDer) { setCertDer(r.certDer); setCertFromKey(true); }
    } catch (err) { setError(keyError(err)); }
  };
  const pickCert = async (e) => {
    const f = e.currentTarget.files && e.currentTarget.files[0];
    setError(null); setCertDer(null); setCertFromKey(false);
    if (!f) return;
    try { setCertDer(readCertificateFile(await fileBytes(f))); } catch (err) { setError(keyError(err)); }
  };

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (!key) { setError(keyError(new KeyFileError('key_missing'))); return; }
    if (!certDer) { setError(keyError(new KeyFileError('cert_missing'))); return; }
    if (key.encrypted && !password) { setError(keyError(new KeyFileError('password_missing'))); return; }
    setBusy(true);
    try {
      const pkcs8 = key.encrypted ? await decryptPkcs8(key.der, password) : key.der;
      const signer = await makeSigner(pkcs8, certDer);
      await loginWithSigner(signer);
      setKey(null); setPassword('');
      after(query, navigate, gate);
    } catch (err) {
      setError(keyError(err));
      setBusy(false);
    }
  };

  if (!webCryptoAvailable()) {
    return <p class="notice notice-warn" role="status" data-testid="login-key-insecure">{t('login.key_insecure')}</p>;
  }
  return (
    <form onSubmit={submit} aria-label={t('login.key_tab')} data-testid="login-key-form">
      <p class="notice notice-info" data-testid="login-key-local">{t('login.key_local')}</p>
      <Field label={t('login.key_file')} hint={t('login.key_file_hint')} id="login-key-file" type="file"
        accept=".pem,.key,.p8,.pk8,.der" onChange={pickKey} data-testid="login-key-file" />
      {key && key.encrypted && (
        <Field label={t('login.key_password')} hint={t('login.key_password_hint')} id="login-key-password" type="password"
          autocomplete="off" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="login-key-password" />
      )}
      {certFromKey ? (
        <p class="hint">{t('login.cert_in_key')}</p>
      ) : (
        <Field label={t('login.cert_file')} hint={t('login.cert_file_hint')} id="login-cert-file" type="file"
          accept=".pem,.crt,.cer,.der" onChange={pickCert} data-testid="login-cert-file" />
      )}
      {certDer && <CertSummary der={certDer} t={t} />}
      {error && <ErrorBox error={error} title={t('login.sig_refused')} />}
      <div class="form-actions">
        <Button type="submit" busy={busy} data-testid="login-key-submit">{t('login.key_submit')}</Button>
      </div>
    </form>
  );
}

// Cloud key: a provider's key store, confirmed on a phone that opens the QR link
// (components/qr_flow.jsx); the final answer of the poll is the session.
function CloudLogin({ t, query, navigate, gate }) {
  const providers = useQrProviders();
  const [start, setStart] = useState({ provider: '', hint: '' });
  const qr = useQrFlow(async (r) => {
    await completeLogin(r);
    after(query, navigate, gate);
  });

  const submit = (e) => {
    e.preventDefault();
    const bad = hintError(start.hint);
    if (bad) { qr.setError(bad); return; }
    const body = { provider: start.provider };
    if (start.hint.trim()) body.hint = start.hint.trim();
    qr.start(body);
  };

  if (providers.loading) return <Spinner />;
  if (providers.error) return <ErrorBox error={providers.error} />;
  if (!providers.list.length) return <Empty title={t('login.qr_no_providers')}>{t('login.qr_no_providers_hint')}</Empty>;

  if (qr.active) return <QrPanel qr={qr} ids="login-qr" testid="qr" />;

  return (
    <form onSubmit={submit} aria-label={t('login.qr_tab')} data-testid="login-qr-form">
      <p class="lead">{t('login.qr_lead')}</p>
      <QrStartFields list={providers.list} value={start} onChange={setStart} ids="login-qr" testid="qr" />
      {qr.error && <ErrorBox error={qr.error} title={t('login.sig_refused')} />}
      {qr.phase === 'failed' && <p class="hint">{t('login.qr_again')}</p>}
      <div class="form-actions">
        <Button type="submit" busy={qr.busy} data-testid="qr-start">{t('login.qr_start')}</Button>
      </div>
    </form>
  );
}

function TokenLogin({ t, query, navigate, gate }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!token.trim()) { setError({ message: t('login.token_hint') }); return; }
    setBusy(true); setError(null);
    try {
      await login(token.trim());
      setToken('');
      after(query, navigate, gate);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="login-token-h">
      <h2 id="login-token-h">{t('login.by_token')}</h2>
      <p class="lead">{t('login.lead')}</p>
      <Field label={t('login.token')} hint={t('login.token_hint')} id="login-token" type="password" autocomplete="off"
        spellcheck={false} value={token} onInput={(e) => setToken(e.currentTarget.value)} data-testid="login-token" required />
      {error && <ErrorBox error={error} title={tOr('login.code.' + error.code, t('common.error'))} />}
      <div class="form-actions">
        <Button type="submit" busy={busy} data-testid="login-submit">{t('login.submit')}</Button>
      </div>
    </form>
  );
}

function Login({ query, t, navigate, gate }) {
  const [tab, setTab] = useState(query.method === 'qr' ? 'qr' : 'key');
  const ended = getSession().ended;
  const endedText = ended ? errorText(ended.code, ended.message) : null;
  const props = { t, query, navigate, gate };
  return (
    <Page title={t('login.title')} testid="login-screen">
      {ended && (
        <div class="notice notice-warn" role="alert" data-testid="session-ended">
          <strong>{t('login.ended')}: </strong>
          <span>{endedText.text || tOr('login.code.' + ended.code, ended.code)}</span>
          {endedText.detail && <span class="error-detail" lang="en"> ({endedText.detail})</span>}
          {' '}<button type="button" class="btn-link btn" onClick={clearEnded}>{t('common.close')}</button>
        </div>
      )}
      {gate && !ended && <p class="notice notice-info">{t('login.need')}</p>}
      <div class="grid2">
        <TokenLogin {...props} />
        <section class="panel" aria-labelledby="login-sig-h" data-testid="login-signature">
          <h2 id="login-sig-h">{t('login.signature')}</h2>
          <Tabs items={[{ id: 'key', label: t('login.key_tab') }, { id: 'qr', label: t('login.qr_tab') }]} value={tab}
            onChange={setTab} label={t('login.signature')} />
          {tab === 'key' ? <KeyFileLogin {...props} /> : <CloudLogin {...props} />}
        </section>
      </div>
      <p class="notice notice-info login-joining" data-testid="login-joining">
        {t('login.joining')} <a href="#/joining" data-testid="login-joining-link">{t('login.joining_link')}</a>
      </p>
    </Page>
  );
}

export const screen = {
  id: 'login', route: '/login', nav: null, public: true, visible: (me) => !me, Component: Login,
};
