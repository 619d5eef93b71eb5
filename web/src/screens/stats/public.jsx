// screens/stats/public.jsx — the public national aggregate (/stats/series, no login): issued,
// active and revoked by period; a breakdown by key algorithm; revocations by reason. Each
// chart has its table and a CSV link; cells under the public threshold show as confidential.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t } from '../../lib/i18n.js';
import { Field, ErrorBox, Spinner, useAsync } from '../../components/index.js';
import { Chart, SeriesTable } from './chart.jsx';
import { FREQS, labelled, metricLabel, seriesQuery, MetaNote } from './series.jsx';

function csvLink(q) { return '/stats/series?' + seriesQuery({ ...q, format: 'csv' }); }

function Block({ title, caption, q, many, testid }) {
  // many: [{metric}] fetched side by side into one chart (no breakdown); else one query with `by`.
  const res = useAsync(async () => {
    if (many) {
      const all = await Promise.all(many.map((m) => api.get('/stats/series', { ...q, metric: m })));
      return { meta: all[0] && all[0].meta, series: all.flatMap((r, i) => labelled(r, metricLabel(many[i]))) };
    }
    const r = await api.get('/stats/series', q);
    return { meta: r.meta, series: labelled(r, metricLabel(q.metric)) };
  }, [JSON.stringify(q), JSON.stringify(many)]);
  const links = many ? many.map((m) => [metricLabel(m), csvLink({ ...q, metric: m })]) : [[metricLabel(q.metric), csvLink(q)]];
  return (
    <section class="panel" aria-label={title} data-testid={testid}>
      <h2>{title}</h2>
      {res.loading && !res.data && <Spinner />}
      <ErrorBox error={res.error} />
      {res.data && (res.data.series.length === 0 ? <p class="muted">{t('stats.no_data')}</p> : (
        <>
          <Chart series={res.data.series} />
          <SeriesTable caption={caption} series={res.data.series} />
        </>
      ))}
      {res.data && <MetaNote meta={res.data.meta} />}
      <p class="form-actions">{links.map(([label, href]) => <a key={href} class="btn btn-secondary" href={href} download>{t('stats.download_csv', { what: label })}</a>)}</p>
    </section>
  );
}

export function PublicStats() {
  const [freq, setFreq] = useState('month');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [alg, setAlg] = useState('certs_active');
  const base = { freq, from, to };
  return (
    <div>
      <p class="lead">{t('stats.public_lead')}</p>
      <div class="form-row panel">
        <Field label={t('stats.freq')} as="select" value={freq} onChange={(e) => setFreq(e.currentTarget.value)} options={FREQS.map((f) => [f, t('stats.freq_v.' + f)])} />
        <Field label={t('stats.from')} type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <Field label={t('stats.to')} type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
      </div>
      <Block testid="stats-overview" title={t('stats.overview')} caption={t('stats.overview_caption')} q={base} many={['certs_issued', 'certs_active', 'certs_revoked']} />
      <div class="panel">
        <Field label={t('stats.alg_metric')} as="select" value={alg} onChange={(e) => setAlg(e.currentTarget.value)}
          options={['certs_active', 'certs_issued'].map((m) => [m, metricLabel(m)])} />
      </div>
      <Block testid="stats-by-alg" title={t('stats.by_alg', { metric: metricLabel(alg) })} caption={t('stats.by_alg_caption')} q={{ ...base, metric: alg, by: 'key_alg' }} />
      <Block testid="stats-by-reason" title={t('stats.by_reason')} caption={t('stats.by_reason_caption')} q={{ ...base, metric: 'certs_revoked', by: 'reason' }} />
    </div>
  );
}
