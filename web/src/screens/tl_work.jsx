// screens/tl_work.jsx — "Trusted list work" (ui-admin): change notices (file one, follow its
// state and history; the central body approves or rejects with a reason), applications for the
// central body's trust services and their state, and for central-body administrators the
// publication of a new list version with the version history.
import { isHolder } from '../lib/session.js';
import { useState } from 'preact/hooks';
import { Page, Tabs } from '../components/index.js';
import { may } from './admin/kit.jsx';
import { Notices } from './tl_work/notices.jsx';
import { Applications } from './tl_work/applications.jsx';
import { Publication } from './tl_work/publication.jsx';

function TlWork({ me, query, navigate, t }) {
  const tabs = [
    { id: 'notices', label: t('tl.tab_notices') },
    { id: 'applications', label: t('tl.tab_applications') },
  ];
  if (may(me, 'admin')) tabs.push({ id: 'publish', label: t('tl.tab_publish') });
  const tab = tabs.some((x) => x.id === query.tab) ? query.tab : 'notices';
  const go = (q) => navigate('/tl-work', q);
  return (
    <Page title={t('tl.title')} testid="tl-work">
      <Tabs items={tabs} value={tab} onChange={(id) => go({ tab: id })} label={t('tl.title')} />
      {tab === 'notices' && <Notices me={me} selected={query.notice} open={(id) => go({ tab: 'notices', notice: id })} />}
      {tab === 'applications' && <Applications me={me} selected={query.application} open={(id) => go({ tab: 'applications', application: id })} />}
      {tab === 'publish' && <Publication me={me} />}
    </Page>
  );
}

export const screen = {
  id: 'tl_work', route: '/tl-work', nav: 'nav.tl_work', public: false,
  visible: (me) => !!me && !isHolder(me),
  Component: TlWork,
};
