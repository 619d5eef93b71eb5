// screens/admin/audit.jsx — the audit log (filters: actor, action, since, until; paged with the
// server's cursor) and the hash-chain check with its result.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t } from '../../lib/i18n.js';
import { fmtNumber } from '../../lib/format.js';
import { Button, Field, Table, Empty, ErrorBox, Notice, Progress, Time } from '../../components/index.js';
import { useAction, StateBadge, useParticipantNames, actorLabel } from './kit.jsx';

const PAGE = 100;
const AUDIT = '/api/v1/admin/audit';

// The API pages forward from a cursor (`after`, exclusive). The newest page is found by an
// exponential and then binary search for the last matching sequence number (a few small
// requests), then by reading back through growing windows until a page is full.
async function latest(filters) {
  const first = async (after) => { const r = await api.get(AUDIT, { ...filters, after, limit: 1 }); return (r.events || [])[0]; };
  let e = await first(undefined);
  if (!e) return [];
  let lo = e.seq;
  let hi = lo + 1024;
  for (;;) {
    e = await first(hi);
    if (!e) break;
    lo = e.seq; hi = lo + (hi - lo) * 2 + 1024;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    e = await first(mid);
    if (e) lo = e.seq; else hi = mid;
  }
  for (let w = PAGE; ; w *= 4) {
    const start = Math.max(0, lo - w);
    const got = [];
    let after = start;
    for (;;) {
      const r = await api.get(AUDIT, { ...filters, after, limit: 1000 });
      got.push(...(r.events || []));
      if (!r.next || !(r.events || []).length) break;
      after = r.next;
    }
    if (got.length >= PAGE || start === 0) return got.slice(-PAGE).reverse();
  }
}

function summary(p) {
  if (!p || typeof p !== 'object') return '';
  const parts = [];
  if (p.target !== undefined) parts.push(typeof p.target === 'object' ? Object.entries(p.target).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ') : String(p.target));
  if (p.code) parts.push(p.code);
  if (!parts.length) {
    const keys = Object.keys(p).filter((k) => k !== 'action' && k !== 'outcome').slice(0, 4);
    parts.push(keys.map((k) => `${k}=${typeof p[k] === 'object' ? JSON.stringify(p[k]) : p[k]}`).join(', '));
  }
  const s = parts.join(' · ');
  return s.length > 160 ? s.slice(0, 160) + '…' : s;
}

export function Audit({ me, query }) {
  const nameOf = useParticipantNames(me);
  const [f, setF] = useState({ actor: query.actor || '', action: query.action || '', since: '', until: '' });
  const [events, setEvents] = useState(null);
  const [next, setNext] = useState(null);
  const [run, busy, error] = useAction();
  const [vrun, vbusy, verror] = useAction();
  const [verdict, setVerdict] = useState(null);
  const [open, setOpen] = useState(null);
  const [order, setOrder] = useState('newest');
  const filters = () => ({
    actor: f.actor.trim(), action: f.action.trim(),
    since: f.since ? new Date(f.since).toISOString() : '', until: f.until ? new Date(f.until).toISOString() : '',
  });
  const load = (e) => {
    if (e) e.preventDefault();
    run(async () => {
      if (order === 'newest') { setEvents(await latest(filters())); setNext(null); return; }
      const r = await api.get(AUDIT, { ...filters(), limit: PAGE });
      setEvents(r.events || []); setNext(r.next || null);
    });
  };
  const more = () => run(async () => { const r = await api.get(AUDIT, { ...filters(), limit: PAGE, after: next }); setEvents([...(events || []), ...(r.events || [])]); setNext(r.next || null); });
  const verify = () => vrun(async () => setVerdict(await api.get('/api/v1/admin/audit/verify')));
  const [tick, setTick] = useState(0);
  useEffect(() => { load(); }, [tick, order]);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  return (
    <div>
      <div class="panel">
        <h2>{t('admin.chain_title')}</h2>
        <p class="lead">{t('admin.chain_lead')}</p>
        <Button onClick={verify} busy={vbusy} data-testid="audit-verify">{t('admin.verify')}</Button>
        {vbusy && <Progress label={t('admin.verifying')} />}
        <ErrorBox error={verror} />
        {verdict && (verdict.ok
          ? <Notice><span data-testid="audit-verify-result" data-ok="true">{t('admin.chain_ok', { n: fmtNumber(verdict.events) })}</span></Notice>
          : <div class="error-box" role="alert"><span data-testid="audit-verify-result" data-ok="false">{t('admin.chain_broken', { seq: verdict.first_broken, n: fmtNumber(verdict.events) })}{verdict.reason ? ' — ' + verdict.reason : ''}</span></div>)}
      </div>
      <form class="panel" onSubmit={load} aria-labelledby="audit-filter-title">
        <h2 id="audit-filter-title">{t('admin.audit_title')}</h2>
        <div class="form-row">
          <Field label={t('admin.actor')} hint={t('admin.actor_hint')} value={f.actor} onInput={set('actor')} />
          <Field label={t('admin.action')} hint={t('admin.action_hint')} value={f.action} onInput={set('action')} />
          <Field label={t('admin.since')} type="datetime-local" value={f.since} onInput={set('since')} />
          <Field label={t('admin.until')} type="datetime-local" value={f.until} onInput={set('until')} />
          <Field label={t('admin.order')} as="select" value={order} onChange={(e) => setOrder(e.currentTarget.value)}
            options={[['newest', t('admin.order_newest')], ['oldest', t('admin.order_oldest')]]} />
        </div>
        <div class="form-actions">
          <Button type="submit" busy={busy}>{t('admin.apply_filters')}</Button>
          <Button kind="secondary" onClick={() => { setF({ actor: '', action: '', since: '', until: '' }); setTick(tick + 1); }}>{t('common.reset')}</Button>
        </div>
      </form>
      <ErrorBox error={error} />
      {busy && <Progress label={t('admin.loading_events')} />}
      {events && (
        <Table testid="audit-table" rowKey={(e) => e.seq} rows={events} onRow={(e) => setOpen(open === e.seq ? null : e.seq)}
          empty={<Empty title={t('admin.no_events')}>{t('admin.no_events_hint')}</Empty>}
          columns={[
            { key: 'seq', label: '№', render: (e) => e.seq },
            { key: 'time', label: t('admin.time'), class: 'nowrap', render: (e) => <Time value={e.time} seconds /> },
            { key: 'type', label: t('admin.action'), render: (e) => <code class="mono nowrap">{e.type}</code> },
            { key: 'actor', label: t('admin.actor'), render: (e) => <span>{actorLabel(e.actor, nameOf)}</span> },
            { key: 'outcome', label: t('admin.outcome'), render: (e) => (e.payload && typeof e.payload.outcome === 'string' ? <StateBadge status={e.payload.outcome} ns="admin.outcome_v." /> : '') },
            { key: 'what', label: t('admin.details'), render: (e) => (open === e.seq
              ? <pre class="payload">{JSON.stringify(e.payload, null, 2)}</pre>
              : <span class="wrap-any">{summary(e.payload)}</span>) },
          ]} />
      )}
      {events && next && <div class="pager"><Button kind="secondary" busy={busy} onClick={more}>{t('common.more')}</Button></div>}
    </div>
  );
}
