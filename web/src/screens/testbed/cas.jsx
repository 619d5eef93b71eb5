// screens/testbed/cas.jsx — the test CAs (names, algorithms, OCSP and CRL addresses, certificate
// downloads), the test trust anchors, and the deterministic identities table.
import { api } from '../../lib/api.js';
import { download } from '../../lib/csv.js';
import { t, tOr } from '../../lib/i18n.js';
import { Button, Table, ErrorBox, Spinner, useAsync } from '../../components/index.js';
import { localHref } from '../admin/kit.jsx';

export function CAs({ data }) {
  const ids = useAsync(() => api.get('/api/v1/testca/identities'), []);
  const cas = data.cas || [];
  return (
    <div>
      <p class="lead">{t('testbed.cas_lead')}</p>
      <Table testid="testbed-cas" caption={t('testbed.cas')} rows={cas} rowKey={(c) => c.name}
        columns={[
          { key: 'name', label: t('testbed.ca'), render: (c) => <strong class="mono">{c.name}</strong> },
          { key: 'algorithm', label: t('testbed.algorithm'), render: (c) => c.algorithm },
          { key: 'ocsp', label: 'OCSP', render: (c) => <code class="mono">{c.ocsp_url}</code> },
          { key: 'crl', label: 'CRL', render: (c) => <a href={localHref(c.crl_url)}>{c.crl_url}</a> },
          { key: 'dl', label: t('testbed.certificate'), render: (c) => (
            <span class="form-actions">
              <a class="btn btn-secondary" href={`/testca/${encodeURIComponent(c.name)}.cer`} download>{t('testbed.download_der', { name: c.name })}</a>
              <Button kind="secondary" onClick={() => download(c.name + '.pem', c.certificate, 'application/x-pem-file')}>PEM</Button>
            </span>) },
        ]} />
      <h2>{t('testbed.anchors')}</h2>
      <ul class="plain-list">
        {data.root && <li><Button kind="link" onClick={() => download('test-root.pem', data.root, 'application/x-pem-file')}>{t('testbed.root_pem')}</Button></li>}
        <li><a href="/testca/CACertificates.Test.p7b" download>CACertificates.Test.p7b</a> — {t('testbed.p7b')}</li>
        <li><a href="/testca/CAs.Test.json">CAs.Test.json</a> — {t('testbed.cas_json')}</li>
        <li><a href="/testca/TL-UA-TEST.xml">TL-UA-TEST.xml</a> — {t('testbed.test_tl')}</li>
        <li><a href="/testca/tsa.pem" download>tsa.pem</a> — {t('testbed.tsa_pem')}{data.tsa_url && <> (<code class="mono">{data.tsa_url}</code>)</>}</li>
      </ul>
      <h2>{t('testbed.identities')}</h2>
      <p class="lead">{t('testbed.identities_lead')}</p>
      {ids.loading && <Spinner />}
      <ErrorBox error={ids.error} />
      {ids.data && (
        <Table testid="testbed-identities" caption={t('testbed.identities_version', { v: ids.data.version })} rows={ids.data.identities || []} rowKey={(i) => i.rnokpp}
          columns={[
            { key: 'tin', label: t('testbed.tin'), render: (i) => <span class="mono">{i.tin}</span> },
            { key: 'rnokpp', label: t('testbed.rnokpp'), render: (i) => <span class="mono">{i.rnokpp}</span> },
            { key: 'scenario', label: t('testbed.scenario'), render: (i) => tOr('testbed.scenario_v.' + i.scenario, i.scenario) },
            { key: 'note', label: t('testbed.note') },
          ]} />
      )}
    </div>
  );
}
