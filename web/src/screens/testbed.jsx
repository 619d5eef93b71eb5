// screens/testbed.jsx — "Test bed" (ui-admin), in the menu when GET /api/v1/testca/cas answers
// 200: test CAs with certificate downloads and the deterministic identities (public), issuing
// a test certificate (its generated private key offered once as a download), fault injection,
// test cases (list, open, submit a result) and the interoperability matrix.
// The parts live in screens/testbed/.
import { isHolder } from '../lib/session.js';
import { useEffect, useState } from 'preact/hooks';
import { Page, Tabs, Spinner, Empty } from '../components/index.js';
import { may } from './admin/kit.jsx';
import { probe, onProbe, probed } from './testbed/probe.js';
import { CAs } from './testbed/cas.jsx';
import { Issue } from './testbed/issue.jsx';
import { Faults } from './testbed/faults.jsx';
import { Cases } from './testbed/cases.jsx';
import { Matrix } from './testbed/matrix.jsx';

function Testbed({ me: who, query, navigate, t }) {
  // A certificate holder uses the test bed as the public does.
  const me = who && !isHolder(who) ? who : null;
  const [st, setSt] = useState(probed());
  useEffect(() => onProbe(setSt), []);
  const tabs = [{ id: 'cas', label: t('testbed.tab_cas') }];
  if (may(me, 'write')) tabs.push({ id: 'issue', label: t('testbed.tab_issue') });
  if (me) tabs.push({ id: 'faults', label: t('testbed.tab_faults') });
  tabs.push({ id: 'cases', label: t('testbed.tab_cases') }, { id: 'matrix', label: t('testbed.tab_matrix') });
  const tab = tabs.some((x) => x.id === query.tab) ? query.tab : 'cas';
  const go = (q) => navigate('/testbed', q);
  let body;
  if (st.state === 'pending') body = <Spinner />;
  else if (st.state === 'off') body = <Empty title={t('testbed.off')}>{t('testbed.off_hint')}</Empty>;
  else {
    body = (
      <>
        <Tabs items={tabs} value={tab} onChange={(id) => go({ tab: id })} label={t('testbed.title')} />
        {tab === 'cas' && <CAs data={st.data} />}
        {tab === 'issue' && <Issue me={me} cas={st.data.cas || []} />}
        {tab === 'faults' && <Faults me={me} cas={st.data.cas || []} />}
        {tab === 'cases' && <Cases me={me} selected={query.case} open={(id) => go({ tab: 'cases', case: id })} />}
        {tab === 'matrix' && <Matrix />}
      </>
    );
  }
  return <Page title={t('testbed.title')} testid="testbed">{body}</Page>;
}

probe();

export const screen = {
  id: 'testbed', route: '/testbed', nav: 'nav.testbed', public: true,
  visible: () => probed().state !== 'off',
  Component: Testbed,
};
