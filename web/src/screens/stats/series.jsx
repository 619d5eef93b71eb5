// screens/stats/series.js — turning the API's series into labelled chart series, and the
// query string of a series request (also for its CSV link).
import { t, tOr } from '../../lib/i18n.js';
import { fmtTime } from '../../lib/format.js';

export const METRICS = ['certs_issued', 'certs_active', 'certs_revoked', 'certs_held', 'certs_released', 'certs_expired'];
export const DIMENSIONS = ['issuer', 'key_alg', 'purpose', 'storage', 'subject_kind', 'validity', 'reason'];
export const FREQS = ['month', 'quarter', 'year', 'day'];

export const metricLabel = (m) => tOr('stats.metric.' + m, m);
export const dimLabel = (d) => tOr('stats.dim.' + d, d);
export const codeLabel = (dim, v) => tOr('stats.code.' + v, v);

// One chart series per API series; label from its dimension codes (or the fallback).
export function labelled(resp, fallback) {
  return ((resp && resp.series) || []).map((s) => {
    const dims = Object.entries(s.dims || {});
    const label = dims.length ? dims.map(([k, v]) => codeLabel(k, v)).join(' · ') : fallback;
    return { label, points: s.points || [] };
  });
}

export function seriesQuery(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString();
}

export function MetaNote({ meta }) {
  if (!meta) return null;
  return (
    <p class="muted small">
      {meta.definition && <span>{meta.definition}. </span>}
      {meta.time_zone && <span>{t('stats.time_zone', { tz: meta.time_zone })} </span>}
      {meta.last_update && <span>{t('stats.last_update', { time: fmtTime(meta.last_update) })} </span>}
      {meta.suppressed_below ? <span>{t('stats.suppressed', { n: meta.suppressed_below })}</span> : null}
    </p>
  );
}
