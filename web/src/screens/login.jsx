// screens/login.jsx — the login screen: API token → cookie session (POST /api/v1/auth/token).
// Also rendered by the shell as the gate of every screen that needs a session, and shows why a
// session ended (blocked, revoked, expired) when the server ended it.
import { useState } from 'preact/hooks';
import { login, getSession, clearEnded } from '../lib/session.js';
import { tOr, errorText } from '../lib/i18n.js';
import { Page, Field, Button, ErrorBox } from '../components/index.js';

function Login({ query, t, navigate, gate }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ended = getSession().ended;

  const submit = async (e) => {
    e.preventDefault();
    if (!token.trim()) { setError({ message: t('login.token_hint') }); return; }
    setBusy(true); setError(null);
    try {
      await login(token.trim());
      setToken('');
      if (!gate) navigate(query.next && query.next !== '/login' ? query.next : '/certificates');
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Page title={t('login.title')} testid="login-screen">
      {ended && (
        <div class="notice notice-warn" role="alert" data-testid="session-ended">
          <strong>{t('login.ended')}: </strong>
          <span>{errorText(ended.code, ended.message).text || tOr('login.code.' + ended.code, ended.code)}</span>
          {errorText(ended.code, ended.message).detail && (
            <span class="error-detail" lang="en"> ({errorText(ended.code, ended.message).detail})</span>
          )}
          {' '}<button type="button" class="btn-link btn" onClick={clearEnded}>{t('common.close')}</button>
        </div>
      )}
      {gate && !ended && <p class="notice notice-info">{t('login.need')}</p>}
      <div class="grid2">
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
        <section class="panel" aria-labelledby="login-sig-h">
          <h2 id="login-sig-h">{t('login.signature')}</h2>
          {/* Signature login (a qualified electronic signature over a server challenge) comes in a
              later issue; this panel is its place. No button until it works. */}
          <p class="muted">{t('login.signature_later')}</p>
        </section>
      </div>
    </Page>
  );
}

export const screen = {
  id: 'login', route: '/login', nav: null, public: true, visible: (me) => !me, Component: Login,
};
