// screens/stats/private.jsx — the logged-in statistics (a QTSP its own issuers, the central body
// all): series with `by` breakdowns and filters, ingest lag per issuer, the annual report.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t } from '../../lib/i18n.js';
import { fmtNumber } from '../../lib/format.js';
import { Button, Field, Table, ErrorBox, Spinner, Empty, useAsync } from '../../components/index.js';
import { useAction } from '../admin/kit.jsx';
import { Chart, SeriesTable } from './chart.jsx';
import { METRICS, DIMENSIONS, FREQS, labelled, metricLabel, dimLabel, seriesQuery, MetaNote } from './series.jsx';

export function SeriesExplorer() {
  const [f, setF] = useState({ metric: 'certs_issued', freq: 'month', from: '', to: '', issuer: '' });
  const [by, setBy] = useState(['issuer']);
  const [res, setRes] = useState(null);
  const [run, busy, error] = useAction();
  const q = { ...f, by: by.filter((d) => d !== 'reason' || f.metric === 'certs_revoked').join(',') };
  const show = (e) => { if (e) e.preventDefault(); run(async () => { const r = await api.get('/api/v1/stats/series', q); setRes({ meta: r.meta, series: labelled(r, metricLabel(f.metric)), q }); }); };
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const toggle = (d) => setBy(by.includes(d) ? by.filter((x) => x !== d) : [...by, d]);
  const dims = DIMENSIONS.filter((d) => d !== 'reason' || f.metric === 'certs_revoked');
  return (
    <div>
      <form class="panel" onSubmit={show} aria-labelledby="sx-title">
        <h2 id="sx-title">{t('stats.series_title')}</h2>
        <div class="form-row">
          <Field label={t('stats.metric_label')} as="select" value={f.metric} onChange={set('metric')} options={METRICS.map((m) => [m, metricLabel(m)])} />
          <Field label={t('stats.freq')} as="select" value={f.freq} onChange={set('freq')} options={FREQS.map((x) => [x, t('stats.freq_v.' + x)])} />
          <Field label={t('stats.from')} type="date" value={f.from} onChange={set('from')} />
          <Field label={t('stats.to')} type="date" value={f.to} onChange={set('to')} />
          <Field label={t('stats.issuer_filter')} hint={t('stats.issuer_filter_hint')} value={f.issuer} onInput={set('issuer')} />
        </div>
        <fieldset>
          <legend>{t('stats.by')}</legend>
          <div class="form-row">
            {dims.map((d) => (
              <label class="check" key={d}><input type="checkbox" checked={by.includes(d)} onChange={() => toggle(d)} /> {dimLabel(d)}</label>
            ))}
          </div>
        </fieldset>
        <div class="form-actions">
          <Button type="submit" busy={busy} data-testid="stats-show">{t('stats.show')}</Button>
          <a class="btn btn-secondary" href={'/api/v1/stats/series?' + seriesQuery({ ...q, format: 'csv' })} download>{t('stats.download_csv', { what: metricLabel(f.metric) })}</a>
        </div>
      </form>
      <ErrorBox error={error} />
      {busy && !res && <Spinner />}
      {res && (res.series.length === 0 ? <Empty title={t('stats.no_data')}>{t('stats.no_data_hint')}</Empty> : (
        <section class="panel" aria-label={t('stats.series_title')}>
          <Chart series={res.series} />
          <SeriesTable testid="stats-series-table" caption={metricLabel(res.q.metric)} series={res.series} />
          <MetaNote meta={res.meta} />
        </section>
      ))}
    </div>
  );
}

const secs = (s) => {
  if (s === null || s === undefined) return '—';
  if (s < 120) return t('stats.seconds', { n: s });
  if (s < 7200) return t('stats.minutes', { n: Math.round(s / 60) });
  if (s < 172800) return t('stats.hours', { n: Math.round(s / 3600) });
  return t('stats.days', { n: Math.round(s / 86400) });
};

export function IngestLag() {
  const [f, setF] = useState({ from: '', to: '' });
  const [q, setQ] = useState({});
  const res = useAsync(() => api.get('/api/v1/stats/ingest_lag', q), [JSON.stringify(q)]);
  const d = res.data;
  return (
    <div>
      <p class="lead">{t('stats.lag_lead')}</p>
      <form class="panel form-row" onSubmit={(e) => { e.preventDefault(); setQ({ ...f }); }}>
        <Field label={t('stats.from')} type="date" value={f.from} onChange={(e) => setF({ ...f, from: e.currentTarget.value })} />
        <Field label={t('stats.to')} type="date" value={f.to} onChange={(e) => setF({ ...f, to: e.currentTarget.value })} />
        <div class="field-btn"><Button type="submit" busy={res.loading}>{t('stats.show')}</Button></div>
      </form>
      {res.loading && !d && <Spinner />}
      <ErrorBox error={res.error} />
      {d && (
        <>
          <p class="muted">{t('stats.lag_range', { from: d.from, to: d.to, tz: d.time_zone })}</p>
          <Table testid="stats-lag" rows={d.issuers || []} rowKey={(r) => r.issuer}
            empty={<Empty title={t('stats.no_data')}>{t('stats.no_data_hint')}</Empty>}
            columns={[
              { key: 'issuer', label: t('stats.dim.issuer'), render: (r) => <span class="mono">{r.issuer}</span> },
              { key: 'certificates', label: t('stats.certificates'), class: 'num', render: (r) => fmtNumber(r.certificates) },
              { key: 'p50_s', label: 'p50', class: 'num', render: (r) => secs(r.p50_s) },
              { key: 'p90_s', label: 'p90', class: 'num', render: (r) => secs(r.p90_s) },
              { key: 'p99_s', label: 'p99', class: 'num', render: (r) => secs(r.p99_s) },
              { key: 'max_s', label: t('stats.max'), class: 'num', render: (r) => secs(r.max_s) },
              { key: 'without', label: t('stats.without_ingest_time'), class: 'num', render: (r) => fmtNumber(r.without_ingest_time) },
            ]} />
        </>
      )}
    </div>
  );
}

const ANNUAL_METRICS = ['certs_issued', 'certs_revoked', 'certs_held', 'certs_released', 'certs_expired', 'certs_active'];

export function Annual() {
  const [year, setYear] = useState(String(new Date().getUTCFullYear()));
  const [shown, setShown] = useState(year);
  const res = useAsync(() => api.get('/api/v1/stats/annual/' + encodeURIComponent(shown)), [shown]);
  const d = res.data;
  const cell = (m) => (m ? (
    <span>{fmtNumber(m.derived)}{m.reported !== null && m.reported !== undefined && (
      <small class={m.delta ? 'conf' : 'muted'}> / {fmtNumber(m.reported)}{m.delta ? ` (Δ ${m.delta > 0 ? '+' : ''}${fmtNumber(m.delta)})` : ''}</small>)}</span>
  ) : '—');
  return (
    <div>
      <p class="lead">{t('stats.annual_lead')}</p>
      <form class="panel form-row" onSubmit={(e) => { e.preventDefault(); setShown(year); }}>
        <Field label={t('stats.year')} type="number" min="2000" max="2100" value={year} onInput={(e) => setYear(e.currentTarget.value)} />
        <div class="field-btn"><Button type="submit" busy={res.loading}>{t('stats.show')}</Button></div>
        <div class="field-btn"><a class="btn btn-secondary" href={`/api/v1/stats/annual/${encodeURIComponent(shown)}?format=csv`} download>{t('stats.download_csv', { what: shown })}</a></div>
      </form>
      {res.loading && !d && <Spinner />}
      <ErrorBox error={res.error} />
      {d && (
        <>
          <p class="muted">{t('stats.annual_status', { year: d.year, status: d.status === 'A' ? t('stats.final') : t('stats.provisional'), tz: d.time_zone })}</p>
          <Table testid="stats-annual" caption={t('stats.annual_caption')} rows={d.providers || []} rowKey={(p) => (p.participant || '') + (p.issuers || []).join()}
            empty={<Empty title={t('stats.no_data')}>{t('stats.no_data_hint')}</Empty>}
            columns={[
              { key: 'name', label: t('stats.provider'), render: (p) => <span>{p.name || t('stats.unoperated')}{p.code && <small class="muted mono"> {p.code}</small>}<br /><small class="muted">{(p.issuers || []).join(', ')}</small></span> },
              ...ANNUAL_METRICS.map((m) => ({ key: m, label: metricLabel(m), class: 'num', render: (p) => cell(p.metrics && p.metrics[m]) })),
            ]} />
          <p class="muted small">{t('stats.annual_legend')}</p>
        </>
      )}
    </div>
  );
}
