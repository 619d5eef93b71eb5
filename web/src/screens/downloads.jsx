// screens/downloads.jsx — public downloads: the CA certificates (bundle, JSON list, each
// issuer's CA certificate), CRL and OCSP addresses, and the trusted list's XML.
import { dnCN, localPath } from '../lib/format.js';
import { Page, Table, ErrorBox, Spinner, useAsync } from '../components/index.js';

function Downloads({ api, t }) {
  const issuers = useAsync(() => api.get('/api/v1/issuers'), []);
  const tl = useAsync(() => api.get('/api/v1/tl'), []);
  const list = issuers.data ? issuers.data.issuers || [] : [];
  return (
    <Page title={t('downloads.title')}>
      <p class="lead">{t('downloads.lead')}</p>
      <section class="panel" aria-labelledby="dl-all-h">
        <h2 id="dl-all-h">{t('downloads.all')}</h2>
        <ul>
          <li><a href="/certs/CACertificates.p7b" download>{t('downloads.p7b')}</a> <span class="muted">(CACertificates.p7b)</span></li>
          <li><a href="/certs/CAs.json" download>{t('downloads.json')}</a> <span class="muted">(CAs.json)</span></li>
          {(tl.data && tl.data.lists || []).map((l) => (
            <li key={l.name}><a href={`/tl/${encodeURIComponent(l.name)}.xml`} download>{t('downloads.tl_xml', { name: l.name })}</a> <span class="muted">({t('downloads.sequence', { n: l.sequence })})</span></li>
          ))}
        </ul>
      </section>
      <h2>{t('downloads.issuers')}</h2>
      {issuers.loading && <Spinner />}
      <ErrorBox error={issuers.error} />
      {issuers.data && (
        <Table caption={t('downloads.issuers_caption')} rowKey={(r) => r.name} rows={list}
          empty={<p class="muted">{t('downloads.no_issuers')}</p>}
          columns={[
            { key: 'name', label: t('downloads.name'), render: (r) => <><strong>{r.name}</strong>{r.test && <span class="badge badge-on_hold">{t('downloads.test')}</span>}</> },
            { key: 'subject', label: t('downloads.subject'), render: (r) => <span title={r.subject}>{dnCN(r.subject)}</span> },
            { key: 'ca', label: t('downloads.ca_cert'), render: (r) => r.ca_url || r.ca_sha256 ? <a href={r.ca_url ? localPath(r.ca_url) : `/certs/ca/${r.ca_sha256}.cer`} download aria-label={t('downloads.ca_for', { name: r.name })}>{t('downloads.cer')}</a> : '—' },
            { key: 'crl', label: 'CRL', render: (r) => r.crl_url ? <a href={localPath(r.crl_url)}>{r.crl_url}</a> : '—' },
            { key: 'ocsp', label: 'OCSP', render: (r) => <code>{r.ocsp_url || '—'}</code> },
          ]} />
      )}
    </Page>
  );
}

export const screen = {
  id: 'downloads', route: '/downloads', nav: 'nav.downloads', public: true, visible: () => true, Component: Downloads,
};
