// screens/holder.jsx — "My certificates" for a certificate holder (signature login, bound to no
// representative): every certificate carrying the holder's identifiers across all providers
// (GET /api/v1/holder/certificates), grouped valid / held / revoked / expired, with issuer, serial,
// validity and lineage (replaces / replaced by); CSV (the server's) and JSON export; a one-click
// watch on the holder's own identifiers (POST /api/v1/holder/watch) and the live panel of the
// holder's stream (GET /api/v1/holder/events, server-sent events).
import { useEffect, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { fmtDate, dnCN } from '../lib/format.js';
import { isHolder } from '../lib/session.js';
import { openStream } from '../lib/sse.js';
import { downloadJSON } from '../lib/csv.js';
import { GROUPS, holderRows, certRef, rowName } from '../lib/holder.js';
import { Page, Button, Table, ErrorBox, Spinner, Empty, Notice, StatusBadge, Time, Confirm, useAsync } from '../components/index.js';

const LIVE_MAX = 50;

// An identifier for people: TINUA-/NTRUA- values as they are, DRFO / EDRPOU / UNZR named.
function idText(i) {
  if (!i) return '';
  if (typeof i === 'string') return i;
  const label = tOr('holder.id_kind.' + i.kind, '');
  return label ? `${label} ${i.value}` : String(i.value || '');
}

function Lineage({ c, t }) {
  if (!c.replaces && !c.replaced_by) return <span class="muted">—</span>;
  return (
    <span class="lineage">
      {c.replaces && <span data-testid="lineage-replaces">{t('holder.replaces')} <code>{certRef(c.replaces)}</code><br /></span>}
      {c.replaced_by && <span data-testid="lineage-replaced-by">{t('holder.replaced_by')} <code>{certRef(c.replaced_by)}</code></span>}
    </span>
  );
}

function CertGroup({ group, rows, t }) {
  const hid = 'holder-group-' + group;
  return (
    <section class="holder-group" aria-labelledby={hid} data-testid={'holder-group-' + group}>
      <h2 id={hid}>{t('holder.group.' + group)} <span class="muted">({rows.length})</span></h2>
      <Table caption={t('holder.caption', { group: t('holder.group.' + group) })} rows={rows} rowKey={(c) => c.sha256 || c.issuer + c.serial}
        testid={'holder-table-' + group}
        empty={<Empty title={t('holder.group_empty')} />}
        columns={[
          { key: 'name', label: t('holder.col_name'), render: (c) => <strong>{rowName(c)}</strong> },
          { key: 'issuer', label: t('holder.col_issuer'), render: (c) => c.issuer || '—' },
          { key: 'serial', label: t('holder.col_serial'), render: (c) => <code class="small" data-testid="holder-serial">{c.serial}</code> },
          { key: 'validity', label: t('holder.col_validity'), render: (c) => <span class="nowrap">{fmtDate(c.not_before)} – {fmtDate(c.not_after)}</span> },
          { key: 'status', label: t('holder.col_status'), render: (c) => <StatusBadge status={c.status || group} /> },
          { key: 'lineage', label: t('holder.col_lineage'), render: (c) => <Lineage c={c} t={t} /> },
          { key: 'actions', label: t('holder.col_actions'), render: (c) => (group === 'valid' || group === 'held' ? (
            <span class="row-actions">
              {group === 'valid' && <a href={'#/my/renewals?cert=' + encodeURIComponent(c.sha256 || '')}>{t('holder.renew')}</a>}
              <a href={'#/my/revocations?cert=' + encodeURIComponent(c.sha256 || '')}>{t('holder.revoke')}</a>
            </span>) : <span class="muted">—</span>) },
        ]} />
    </section>
  );
}

function eventLine(ev) {
  // A watch.match notification ({watch, kind, matched, event}) or a raw event.
  const e = ev.event || ev;
  return { seq: e.seq ?? ev.seq, type: e.type || ev.type || 'event', time: e.time, subject: dnCN(e.subject || ''),
    issuer: e.issuer || '', serial: e.serial || '', matched: ev.matched ? `${ev.matched.kind}=${ev.matched.value}` : '',
    method: e.target && e.target.method, provider: e.target && e.target.provider, address: e.target && e.target.address };
}

// The holder's own stream: their watches' matches (new certificates, revocations, logins).
function LivePanel({ t }) {
  const [state, setState] = useState('connecting');
  const [list, setList] = useState([]);
  useEffect(() => openStream('/api/v1/holder/events', {
    events: ['watch.match', 'watch.test', 'auth.login', 'certificate.issued', 'certificate.revoked', 'certificate.released', 'certificate.key_reused', 'closed'],
    onState: setState,
    onEvent: (name, data) => {
      if (!data || typeof data !== 'object') return;
      if (name === 'closed') { setState('closed'); return; }
      const x = eventLine(data);
      setList((l) => (l.some((y) => y.seq === x.seq && y.type === x.type) ? l : [x, ...l].slice(0, LIVE_MAX)));
    },
  }), []);
  return (
    <section class="panel" aria-labelledby="holder-live-h" data-testid="holder-live-panel" data-state={state}>
      <h2 id="holder-live-h">{t('holder.live')}</h2>
      <p class="hint" role="status">{t('watches.live_state.' + state)}</p>
      {list.length === 0 ? <Empty title={t('holder.live_empty')}>{t('holder.live_hint')}</Empty> : (
        <ul class="live-list" aria-live="polite">
          {list.map((e, i) => (
            <li key={e.seq + '-' + i} data-seq={e.seq} data-type={e.type}>
              <strong>{tOr('holder.event.' + e.type.replace(/\./g, '_'), tOr('watches.event.' + e.type.replace(/\./g, '_'), e.type))}</strong>
              {e.subject && <> · {e.subject}</>}
              {e.serial && <> · <code>{e.serial}</code></>}
              {e.issuer && <> · {e.issuer}</>}
              {e.provider && <> · {e.provider}</>}
              {e.address && <> · <span class="muted">{e.address}</span></>}
              {e.matched && <> · <span class="muted">{e.matched}</span></>}
              <div class="muted small">#{e.seq} <Time value={e.time} seconds /></div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// The one-click watch on the holder's own identifiers, and the ones already there.
function WatchMine({ api, t }) {
  const list = useAsync(() => api.get('/api/v1/holder/watches').catch((e) => (e.status === 404 ? { watches: [] } : Promise.reject(e))), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [made, setMade] = useState(null);
  const [del, setDel] = useState(null);
  const watches = (list.data && list.data.watches) || [];
  const create = async () => {
    setBusy(true); setError(null);
    try {
      const r = await api.post('/api/v1/holder/watch', {});
      setMade(r.watch || r);
      list.reload();
    } catch (e) { setError(e); }
    setBusy(false);
  };
  const remove = async () => {
    setBusy(true); setError(null);
    try { await api.del('/api/v1/holder/watches/' + del.id); setDel(null); setMade(null); list.reload(); } catch (e) { setError(e); }
    setBusy(false);
  };
  return (
    <section class="panel" aria-labelledby="holder-watch-h" data-testid="holder-watch">
      <h2 id="holder-watch-h">{t('holder.watch_title')}</h2>
      <p class="lead">{t('holder.watch_lead')}</p>
      {made && <Notice kind="ok"><span data-testid="holder-watch-made" data-id={made.id}>{t('holder.watch_made', { id: made.id })}</span></Notice>}
      <ErrorBox error={error} />
      {watches.length > 0 && (
        <ul class="plain" data-testid="holder-watch-list">
          {watches.map((w) => (
            <li key={w.id} data-id={w.id}>
              <strong>{w.name || t('watches.unnamed', { id: w.id })}</strong>{' '}
              <span class="muted">{(w.values || []).map((v) => (typeof v === 'string' ? v : `${v.kind}=${v.value}`)).join(', ')}</span>{' '}
              <span class="muted">({(w.kinds || []).map((k) => tOr('watches.kind.' + k, k)).join(', ')})</span>{' '}
              <Button kind="link" onClick={() => setDel(w)}>{t('common.delete')}</Button>
            </li>
          ))}
        </ul>
      )}
      <div class="form-actions">
        <Button busy={busy} onClick={create} data-testid="holder-watch-create">{t('holder.watch_create')}</Button>
      </div>
      <Confirm open={!!del} title={t('holder.watch_delete')} message={del ? (del.name || '#' + del.id) : ''} danger busy={busy}
        confirmLabel={t('common.delete')} onCancel={() => setDel(null)} onConfirm={remove} />
    </section>
  );
}

function MyCertificates({ me, api, t }) {
  const r = useAsync(() => api.get('/api/v1/holder/certificates'), []);
  const rows = holderRows(r.data);
  const h = me.holder || {};
  const exportJSON = () => downloadJSON('my-certificates-' + new Date().toISOString().slice(0, 10) + '.json', r.data);
  return (
    <Page title={t('holder.title')} testid="holder-certificates"
      actions={rows.length > 0 && <>
        <a class="btn btn-secondary" href="/api/v1/holder/certificates?format=csv" download="my-certificates.csv" data-testid="holder-export-csv">{t('holder.export_csv')}</a>
        <Button kind="secondary" onClick={exportJSON} data-testid="holder-export-json">{t('holder.export_json')}</Button>
      </>}>
      <p class="lead">{t('holder.lead')}</p>
      {h.identifiers && h.identifiers.length > 0 && (
        <p data-testid="holder-identifiers">{t('holder.your_ids')}{' '}
          {h.identifiers.map((i) => <code key={idText(i)} class="id-chip">{idText(i)}</code>)}
        </p>
      )}
      {r.loading && !r.data && <Spinner />}
      <ErrorBox error={r.error} />
      {r.data && r.data.truncated && <Notice kind="warn">{t('holder.truncated', { n: rows.length })}</Notice>}
      {r.data && rows.length === 0 && <Empty title={t('holder.none')}>{t('holder.none_hint')}</Empty>}
      {r.data && rows.length > 0 && GROUPS.map((g) => {
        const list = rows.filter((c) => c.group === g);
        return list.length ? <CertGroup key={g} group={g} rows={list} t={t} /> : null;
      })}
      <WatchMine api={api} t={t} />
      <LivePanel t={t} />
    </Page>
  );
}

export const screen = {
  id: 'holder', route: '/my/certificates', nav: 'nav.holder', public: false, visible: (me) => isHolder(me), Component: MyCertificates,
};
