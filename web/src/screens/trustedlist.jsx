// screens/trustedlist.jsx — public trusted list browser: the published lists (GET /api/v1/tl),
// one list's header and signature check, providers → services → status and history
// (GET /api/v1/tl/{name}/view).
import { useState } from 'preact/hooks';
import { etsiLabel, dnCN } from '../lib/format.js';
import { Page, Field, ErrorBox, Spinner, Empty, Time, useAsync } from '../components/index.js';

function statusClass(uri) {
  const s = (uri || '').toLowerCase();
  if (s.includes('withdrawn') || s.includes('revoked')) return 'withdrawn';
  if (s.includes('granted') || s.includes('accredited') || s.includes('recognised')) return 'granted';
  return 'unknown';
}

function Service({ s, t }) {
  return (
    <li class="panel">
      <h4>{s.name}</h4>
      <dl class="props">
        <dt>{t('trustedlist.type')}</dt><dd title={s.type}>{etsiLabel(s.type)}</dd>
        <dt>{t('trustedlist.status')}</dt><dd><span class={'badge badge-' + statusClass(s.status)} title={s.status}>{etsiLabel(s.status)}</span></dd>
        <dt>{t('trustedlist.since')}</dt><dd><Time value={s.status_start} /></dd>
        <dt>{t('trustedlist.certificate')}</dt>
        <dd>{s.certificate ? <a href={`/certs/ca/${s.certificate.sha256}.cer`} download title={s.certificate.subject}>{dnCN(s.certificate.subject)}</a> : '—'}</dd>
      </dl>
      {s.history && s.history.length > 0 && (
        <details>
          <summary>{t('trustedlist.history', { n: s.history.length })}</summary>
          <ol>
            {s.history.map((h, i) => (
              <li key={i}><Time value={h.status_start} /> — {etsiLabel(h.status)}{h.name && h.name !== s.name ? ` (${h.name})` : ''}</li>
            ))}
          </ol>
        </details>
      )}
    </li>
  );
}

function View({ name, api, t }) {
  const [filter, setFilter] = useState('');
  const v = useAsync(() => api.get(`/api/v1/tl/${encodeURIComponent(name)}/view`), [name]);
  if (v.loading) return <Spinner />;
  if (v.error) return <ErrorBox error={v.error} />;
  const d = v.data;
  const f = filter.trim().toLowerCase();
  const providers = (d.providers || []).filter((p) => !f || (p.name + ' ' + (p.trade_name || '') + ' ' +
    (p.services || []).map((s) => s.name).join(' ')).toLowerCase().includes(f));
  const sig = d.signature || {};
  return (
    <>
      <section class="panel" aria-labelledby="tl-head-h">
        <h2 id="tl-head-h" class="scheme-name">{d.scheme_name || d.name}</h2>
        <dl class="props">
          <dt>{t('trustedlist.sequence')}</dt><dd>{d.sequence}</dd>
          <dt>{t('trustedlist.issued')}</dt><dd><Time value={d.issue_date} /></dd>
          <dt>{t('trustedlist.next_update')}</dt><dd><Time value={d.next_update} /></dd>
          <dt>{t('trustedlist.territory')}</dt><dd>{d.territory}</dd>
          <dt>{t('trustedlist.operator')}</dt><dd>{d.operator}</dd>
          <dt>{t('trustedlist.signature')}</dt>
          <dd data-testid="tl-signature">
            <span class={'badge badge-' + (sig.valid ? 'good' : 'revoked')}>{sig.valid ? t('trustedlist.sig_valid') : t('trustedlist.sig_invalid')}</span>
            {sig.signer && <> {t('trustedlist.signer')}: {dnCN(sig.signer)}</>}
            {sig.error && <div class="error-msg">{sig.error}</div>}
          </dd>
          <dt>XML</dt><dd><a href={`/tl/${encodeURIComponent(d.name)}.xml`} download>{d.name}.xml</a></dd>
        </dl>
      </section>
      <h2>{t('trustedlist.providers', { n: (d.providers || []).length })}</h2>
      <Field label={t('trustedlist.filter')} type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      {providers.length === 0 ? <Empty title={t('trustedlist.no_providers')}>{f ? t('trustedlist.clear_filter') : ''}</Empty> : (
        <div class="tree">
          {providers.map((p, i) => (
            <details key={i} open={providers.length === 1}>
              <summary><strong>{p.name}</strong>{p.trade_name && p.trade_name !== p.name ? ` — ${p.trade_name}` : ''} <span class="muted">({t('trustedlist.services_n', { n: (p.services || []).length })})</span></summary>
              <ul class="plain">{(p.services || []).map((s, j) => <Service key={j} s={s} t={t} />)}</ul>
            </details>
          ))}
        </div>
      )}
    </>
  );
}

function TrustedList({ api, t, query, navigate }) {
  const lists = useAsync(() => api.get('/api/v1/tl'), []);
  if (lists.loading) return <Page title={t('trustedlist.title')}><Spinner /></Page>;
  if (lists.error) return <Page title={t('trustedlist.title')}><ErrorBox error={lists.error} /></Page>;
  const all = lists.data.lists || [];
  const name = query.name || (all[0] && all[0].name);
  return (
    <Page title={t('trustedlist.title')}>
      <p class="lead">{t('trustedlist.lead')}</p>
      {all.length === 0 && <Empty title={t('trustedlist.none')}>{t('trustedlist.none_hint')}</Empty>}
      {all.length > 1 && (
        <Field as="select" label={t('trustedlist.pick')} value={name} onChange={(e) => navigate('/trusted-list', { name: e.currentTarget.value })}
          options={all.map((l) => [l.name, `${l.name} (${t('trustedlist.sequence')} ${l.sequence})`])} />
      )}
      {name && <View key={name} name={name} api={api} t={t} />}
    </Page>
  );
}

export const screen = {
  id: 'trustedlist', route: '/trusted-list', nav: 'nav.trustedlist', public: true, visible: () => true, Component: TrustedList,
};
