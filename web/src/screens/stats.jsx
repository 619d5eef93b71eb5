// screens/stats.jsx — "Statistics" (ui-admin). Public part (no login): the national aggregate
// from /stats/series as uPlot charts with tables (withheld cells marked confidential) and CSV
// links. Logged-in part for providers and the central body: series with breakdowns, ingest
// lag, the annual report, providers' statistics reports (list, upload, reconciliation).
// The parts live in screens/stats/.
import { Page, Tabs } from '../components/index.js';
import { may, isQtsp } from './admin/kit.jsx';
import { PublicStats } from './stats/public.jsx';
import { SeriesExplorer, IngestLag, Annual } from './stats/private.jsx';
import { Reports } from './stats/reports.jsx';

const mayStats = (me) => !!me && (isQtsp(me) || may(me, 'central_body'));

function Stats({ me, query, navigate, t }) {
  const tabs = [{ id: 'public', label: t('stats.tab_public') }];
  if (mayStats(me)) {
    tabs.push({ id: 'series', label: t('stats.tab_series') }, { id: 'lag', label: t('stats.tab_lag') },
      { id: 'annual', label: t('stats.tab_annual') }, { id: 'reports', label: t('stats.tab_reports') });
  }
  const tab = tabs.some((x) => x.id === query.tab) ? query.tab : 'public';
  return (
    <Page title={t('stats.title')} testid="stats">
      {tabs.length > 1 && <Tabs items={tabs} value={tab} onChange={(id) => navigate('/stats', { tab: id })} label={t('stats.title')} />}
      {tab === 'public' && <PublicStats me={me} />}
      {tab === 'series' && <SeriesExplorer me={me} />}
      {tab === 'lag' && <IngestLag />}
      {tab === 'annual' && <Annual />}
      {tab === 'reports' && <Reports me={me} selected={query.report} open={(id) => navigate('/stats', { tab: 'reports', report: id })} />}
    </Page>
  );
}

export const screen = {
  id: 'stats', route: '/stats', nav: 'nav.stats', public: true,
  visible: () => true,
  Component: Stats,
};
