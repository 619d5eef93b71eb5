// screens/stats/chart.jsx — a uPlot line chart over statistics series (periods such as 2026-11,
// 2026-Q4, 2026 or 2026-11-05), sized to its box; withheld (confidential) cells are gaps. A table
// with the same figures follows every chart for screen readers and exact values.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { t } from '../../lib/i18n.js';
import { fmtNumber } from '../../lib/format.js';

const COLORS = ['#0b5cad', '#a11a1a', '#136b2f', '#7a4b00', '#6a3d9a', '#008080', '#b15928', '#4a5563', '#e7298a', '#1b9e77'];

// The first instant of a period, in seconds (UTC).
export function periodStart(p) {
  let m;
  if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(p))) return Date.UTC(+m[1], +m[2] - 1, +m[3]) / 1000;
  if ((m = /^(\d{4})-(\d{2})$/.exec(p))) return Date.UTC(+m[1], +m[2] - 1, 1) / 1000;
  if ((m = /^(\d{4})-Q(\d)$/.exec(p))) return Date.UTC(+m[1], (+m[2] - 1) * 3, 1) / 1000;
  if ((m = /^(\d{4})(-A\d*)?$/.exec(p))) return Date.UTC(+m[1], 0, 1) / 1000;
  return NaN;
}

// [{label, points:[{period, value, confidential}]}] → periods (sorted, unique) and aligned values.
export function align(series) {
  const periods = [...new Set(series.flatMap((s) => s.points.map((p) => p.period)))].sort();
  const rows = series.map((s) => {
    const by = new Map(s.points.map((p) => [p.period, p]));
    return periods.map((p) => by.get(p) || null);
  });
  return { periods, rows };
}

// An x-axis label in the period's own form: 2026-11-05, 2026-11, 2026-Q4 or 2026.
function axisLabel(x, sample) {
  const d = new Date(x * 1000);
  const y = d.getUTCFullYear();
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  if (/^\d{4}-\d{2}-\d{2}$/.test(sample)) return `${m}-${String(d.getUTCDate()).padStart(2, '0')}`;
  if (/Q/.test(sample)) return `${y}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
  if (/^\d{4}$/.test(sample)) return String(y);
  return `${y}-${m}`;
}

export function Chart({ title, series, height = 260 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const { periods, rows } = align(series);
    const xs = periods.map(periodStart);
    const data = [xs, ...rows.map((r) => r.map((p) => (p && p.value !== null && p.value !== undefined ? p.value : null)))];
    const opts = {
      width: Math.max(280, el.clientWidth - 16), height,
      series: [{ label: t('stats.period'), value: (u, v, si, i) => (i === null || i === undefined ? '' : periods[i] || '') },
        ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false,
          points: { show: periods.length < 40 }, value: (u, v) => (v === null || v === undefined ? '—' : fmtNumber(v)) }))],
      axes: [{ values: (u, splits) => splits.map((x) => axisLabel(x, periods[0] || '')) },
        { values: (u, splits) => splits.map((v) => fmtNumber(v)), size: 60 }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    if (plot.current) plot.current.destroy();
    plot.current = xs.length ? new uPlot(opts, data, el) : null;
    const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(() => {
      if (plot.current) plot.current.setSize({ width: Math.max(280, el.clientWidth - 16), height });
    }) : null;
    if (ro) ro.observe(el);
    return () => { if (ro) ro.disconnect(); if (plot.current) { plot.current.destroy(); plot.current = null; } };
  }, [series, height]);
  return (
    <figure class="chart">
      {title && <figcaption><h3>{title}</h3></figcaption>}
      <div ref={box} aria-hidden="true" />
      {series.some((s) => s.points.some((p) => p.confidential)) && <p class="muted small">{t('stats.gaps_confidential')}</p>}
    </figure>
  );
}

// The figures of the chart as a table: periods down, series across; withheld cells say so.
export function SeriesTable({ caption, series, testid }) {
  const { periods, rows } = align(series);
  if (!periods.length) return null;
  return (
    <div class="table-wrap" data-testid={testid} tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead><tr><th scope="col">{t('stats.period')}</th>{series.map((s) => <th scope="col" key={s.label} class="num">{s.label}</th>)}</tr></thead>
        <tbody>
          {periods.map((p, i) => (
            <tr key={p}>
              <th scope="row">{p}{rows.some((r) => r[i] && r[i].status === 'P') && <small class="muted"> ({t('stats.provisional')})</small>}</th>
              {rows.map((r, j) => {
                const c = r[i];
                if (!c) return <td key={j} class="num muted">—</td>;
                if (c.confidential) return <td key={j} class="num conf" data-confidential="true" title={t('stats.confidential_hint')}>{t('stats.confidential')}</td>;
                return <td key={j} class="num">{c.value === null || c.value === undefined ? '—' : fmtNumber(c.value)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
