// app.jsx — the shell: header (product name, navigation filtered by each screen's visible(me),
// language switch, who is logged in, logout), hash routing over screens/index.js, and the
// login gate for screens that need a session.
import { useEffect, useState } from 'preact/hooks';
import { screens } from './screens/index.js';
import { api } from './lib/api.js';
import { t, getLang, setLang, onLang } from './lib/i18n.js';
import { parseHash, match, navigate, href } from './lib/router.js';
import { getSession, onSession, init, logout, isHolder } from './lib/session.js';
import { Spinner, Empty } from './components/index.js';

const loginScreen = screens.find((s) => s.id === 'login');

function resolve(path) {
  if (path === '/') return { screen: screens.find((s) => s.id === 'status'), params: {} };
  for (const s of screens) {
    const p = match(s.route, path);
    if (p) return { screen: s, params: p };
  }
  return { screen: null, params: {} };
}

function roleLabel(me) {
  if (isHolder(me)) return t('shell.role.holder');
  if (me.bootstrap) return t('shell.bootstrap');
  return t('shell.role.' + me.role);
}

function Header({ me, route }) {
  const [open, setOpen] = useState(false);
  const lang = getLang();
  const items = screens.filter((s) => s.nav && s.visible(me));
  useEffect(() => setOpen(false), [route]);
  return (
    <header class="site-header">
      <div class="bar">
        <a class="brand" href="#/status">{t('shell.product')}</a>
        <button type="button" class="menu-toggle btn btn-secondary" aria-expanded={open ? 'true' : 'false'} aria-controls="main-nav"
          onClick={() => setOpen(!open)}>{t('shell.menu')}</button>
        <div class="bar-right">
          <div class="lang" role="group" aria-label={t('shell.language')}>
            <button type="button" lang="uk" aria-pressed={lang === 'uk' ? 'true' : 'false'} onClick={() => setLang('uk')}>УКР</button>
            <button type="button" lang="en" aria-pressed={lang === 'en' ? 'true' : 'false'} onClick={() => setLang('en')}>ENG</button>
          </div>
          {me ? (
            <div class="who">
              <span data-testid="whoami" class="whoami">
                <span class="who-participant">{isHolder(me) ? (me.holder && me.holder.name) || '' : me.participant_name || (me.bootstrap ? t('shell.bootstrap') : '')}</span>
                {me.representative_name && <span class="who-rep">{me.representative_name}</span>}
                <span class="who-role">{roleLabel(me)}</span>
              </span>
              <button type="button" class="btn btn-secondary" data-testid="logout" onClick={() => logout().then(() => navigate('/status'))}>{t('shell.logout')}</button>
            </div>
          ) : (
            route !== '/login' && <a class="btn btn-primary" href={href('/login', { next: route })}>{t('shell.login')}</a>
          )}
        </div>
      </div>
      <nav id="main-nav" class={'main-nav' + (open ? ' open' : '')} aria-label={t('shell.navigation')}>
        <ul>
          {items.map((s) => {
            const active = route === s.route || route.startsWith(s.route + '/') || (route === '/' && s.id === 'status');
            return <li key={s.id}><a href={'#' + s.route} aria-current={active ? 'page' : undefined}>{t(s.nav)}</a></li>;
          })}
        </ul>
      </nav>
    </header>
  );
}

export function App() {
  const [session, setSession] = useState(getSession());
  const [loc, setLoc] = useState(parseHash());
  const [, setLangTick] = useState(0);

  useEffect(() => {
    const offS = onSession(setSession);
    const offL = onLang(() => setLangTick((n) => n + 1));
    let lastPath = parseHash().path;
    const onHash = () => {
      const next = parseHash();
      setLoc(next);
      // A new screen (not a new query on the same one): to the top, and focus to <main> so
      // keyboard and screen-reader users start at the content.
      if (next.path !== lastPath) {
        window.scrollTo(0, 0);
        const m = document.getElementById('main');
        if (m) m.focus({ preventScroll: true });
      }
      lastPath = next.path;
    };
    window.addEventListener('hashchange', onHash);
    init();
    return () => { offS(); offL(); window.removeEventListener('hashchange', onHash); };
  }, []);

  // A session the server ended (blocked, revoked, expired, logged out elsewhere): go to the login
  // screen, which shows why, and come back to this route after logging in again.
  useEffect(() => {
    if (session.ended && !session.me && loc.path !== '/login') navigate('/login', { next: loc.path });
  }, [session.ended]);

  // Keep the document title in step with the screen.
  const { screen, params } = resolve(loc.path);
  useEffect(() => {
    document.title = (screen && screen.nav ? t(screen.nav) + ' — ' : '') + t('shell.product');
  });

  const me = session.me;
  let body;
  if (!session.ready) {
    body = <Spinner />;
  } else if (!screen) {
    body = <Empty title={t('shell.not_found')}><a href="#/status">{t('shell.go_home')}</a></Empty>;
  } else if (!screen.public && !me) {
    // The login gate: after logging in the same route renders.
    body = <loginScreen.Component params={{}} query={{ next: loc.path }} me={null} api={api} t={t} navigate={navigate} gate />;
  } else if (me && !screen.visible(me) && screen.id !== 'login') {
    body = <Empty title={t('shell.not_allowed')}><a href="#/status">{t('shell.go_home')}</a></Empty>;
  } else if (screen.id === 'login' && me) {
    body = <Empty title={t('login.already')}><a href={'#' + (loc.query.next || (isHolder(me) ? '/my/certificates' : '/certificates'))}>{t('shell.continue')}</a></Empty>;
  } else {
    const C = screen.Component;
    body = <C params={params} query={loc.query} me={me} api={api} t={t} navigate={navigate} />;
  }

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>{t('shell.skip')}</a>
      <Header me={me} route={loc.path} />
      <main id="main" tabIndex={-1} data-screen={screen ? screen.id : 'none'}>{body}</main>
      <footer class="site-footer"><span>{t('shell.footer')}</span></footer>
    </>
  );
}
