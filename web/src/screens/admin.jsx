// screens/admin.jsx — "Administration" (ui-admin; central-body administrators only):
// participants with their issuers and representatives, credentials, blocking, and the audit
// log with its chain check. The parts live in screens/admin/.
import { Page, Tabs } from '../components/index.js';
import { may } from './admin/kit.jsx';
import { Participants } from './admin/participants.jsx';
import { Representative } from './admin/representative.jsx';
import { Audit } from './admin/audit.jsx';

function Admin({ me, query, navigate, t }) {
  const tabs = [{ id: 'participants', label: t('admin.tab_participants') }, { id: 'audit', label: t('admin.tab_audit') }];
  const tab = query.tab === 'audit' ? 'audit' : 'participants';
  const go = (q) => navigate('/admin', q);
  return (
    <Page title={t('admin.title')} testid="admin">
      <Tabs items={tabs} value={tab} onChange={(id) => go({ tab: id })} label={t('admin.title')} />
      {tab === 'participants' && !query.r && <Participants me={me} selected={query.p} open={(p) => go({ p })} openRep={(r, p) => go({ p, r })} />}
      {tab === 'participants' && query.r && <Representative key={query.r} me={me} id={query.r} back={() => go({ p: query.p })} />}
      {tab === 'audit' && <Audit me={me} query={query} />}
    </Page>
  );
}

export const screen = {
  id: 'admin', route: '/admin', nav: 'nav.admin', public: false,
  visible: (me) => may(me, 'admin'),
  Component: Admin,
};
