// screens/watches.jsx — certificate watches (/api/v1/watches): list, create, edit, delete, test
// delivery, replay from a sequence, dead letter and delivery state, and a live panel on the
// server-sent events stream (/api/v1/events/stream) where matching events appear as they happen.
import { isHolder } from '../lib/session.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { openStream } from '../lib/sse.js';
import { ATTRS } from './certificates.jsx';
import { Page, Field, Button, Table, ErrorBox, Spinner, Empty, Notice, StatusBadge, Time, Confirm, useAsync } from '../components/index.js';

const KINDS = ['issued', 'revoked', 'key_reused', 'crl', 'stats', 'testcases', 'requests', 'login'];
const DEFAULT_KINDS = ['issued', 'revoked', 'key_reused'];
const LIVE_MAX = 100;

function valuesText(w) {
  return (w.values || []).map((v) => (typeof v === 'string' ? v : `${v.kind}=${v.value}`)).join('\n');
}

function filterText(w, t) {
  const parts = (w.values || []).map((v) => (typeof v === 'string' ? v : `${v.kind}=${v.value}`));
  if (w.issuer) parts.push(t('watches.issuer_is', { issuer: w.issuer }));
  return parts.join('; ') || '—';
}

function emptyForm() {
  return { name: '', values: '', issuer: '', kinds: [...DEFAULT_KINDS], delivery: 'stream', url: '', replay_from: '' };
}

function WatchForm({ initial, editing, issuers, api, t, onSaved, onCancel }) {
  const [f, setF] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const toggle = (k) => setF({ ...f, kinds: f.kinds.includes(k) ? f.kinds.filter((x) => x !== k) : [...f.kinds, k] });

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    const body = { name: f.name.trim(), kinds: f.kinds, delivery: f.delivery };
    const values = f.values.split('\n').map((s) => s.trim()).filter(Boolean);
    if (values.length) body.values = values;
    if (f.issuer) body.issuer = f.issuer;
    if (f.delivery === 'webhook') body.url = f.url.trim();
    if (!editing && f.replay_from !== '' && f.replay_from !== null && f.replay_from !== undefined) body.replay_from = Number(f.replay_from);
    try {
      // Editing changes the watch in place (PUT: same id, cursor and secret; delivery is fixed).
      const r = editing ? await api.put('/api/v1/watches/' + editing.id, body) : await api.post('/api/v1/watches', body);
      onSaved(r.watch || r, !!editing);
    } catch (err) { setError(err); }
    setBusy(false);
  };

  return (
    <form class="panel" onSubmit={submit} aria-labelledby="watch-form-h">
      <h2 id="watch-form-h">{editing ? t('watches.edit_title', { name: editing.name || '#' + editing.id }) : t('watches.new')}</h2>
      {editing && <p class="hint">{t('watches.edit_note')}</p>}
      <div class="form-row">
        <Field label={t('watches.name')} value={f.name} onInput={set('name')} maxLength={200} />
        <Field as="select" label={t('watches.issuer')} value={f.issuer} onChange={set('issuer')}
          options={[['', t('watches.any_issuer')], ...issuers.map((i) => [i.name, i.name])]} />
      </div>
      <Field as="textarea" label={t('watches.values')} hint={t('watches.values_hint', { kinds: ATTRS.slice(0, 6).join(', ') })}
        value={f.values} onInput={set('values')} spellcheck={false} class="short" />
      <fieldset>
        <legend>{t('watches.kinds')}</legend>
        {KINDS.map((k) => (
          <label class="check" key={k}><input type="checkbox" checked={f.kinds.includes(k)} onChange={() => toggle(k)} />{t('watches.kind.' + k)}</label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t('watches.delivery')}</legend>
        {editing ? <p class="hint">{f.delivery === 'webhook' ? t('watches.delivery_webhook') : t('watches.delivery_stream')} — {t('watches.delivery_fixed')}</p> : <>
          <label class="check"><input type="radio" name="delivery" value="stream" checked={f.delivery === 'stream'} onChange={set('delivery')} />{t('watches.delivery_stream')}</label>
          <label class="check"><input type="radio" name="delivery" value="webhook" checked={f.delivery === 'webhook'} onChange={set('delivery')} />{t('watches.delivery_webhook')}</label>
        </>}
        {f.delivery === 'webhook' && <Field label={t('watches.url')} type="url" value={f.url} onInput={set('url')} placeholder="https://" required />}
      </fieldset>
      {!editing && <Field label={t('watches.replay_from')} hint={t('watches.replay_from_hint')} type="number" min="0" value={f.replay_from} onInput={set('replay_from')} />}
      <ErrorBox error={error} />
      <div class="form-actions">
        <Button type="submit" busy={busy}>{editing ? t('common.save') : t('watches.create')}</Button>
        <Button kind="secondary" onClick={onCancel}>{t('common.cancel')}</Button>
      </div>
    </form>
  );
}

function eventSummary(ev) {
  const p = ev.payload || ev.event && ev.event.payload || {};
  const attrs = Object.fromEntries((p.attributes || []).map(([k, v]) => [k, v]));
  return { type: ev.event ? ev.event.type : ev.type, seq: ev.event ? ev.event.seq : ev.seq, time: ev.event ? ev.event.time : ev.time,
    name: attrs.cn || '', id: attrs.serial_number || attrs.organization_identifier || attrs.drfo || attrs.edrpou || '',
    issuer: p.issuer || '', serial: p.serial || '', sha256: p.sha256 || '', reason: p.reason || '' };
}

// Client-side match of a raw certificate event against a watch: webhook watches' notifications
// do not come on the caller's stream, and a stream watch's watch.match may come after its event.
function matchesWatch(w, ev) {
  const p = ev.payload || {};
  const kind = { 'certificate.issued': 'issued', 'certificate.revoked': 'revoked', 'certificate.released': 'revoked', 'certificate.key_reused': 'key_reused' }[ev.type];
  if (!kind || !(w.kinds || DEFAULT_KINDS).includes(kind)) return false;
  if (w.issuer && p.issuer !== w.issuer) return false;
  if (!w.values || !w.values.length) return true;
  const attrs = (p.attributes || []).map(([k, v]) => `${k}=${String(v).toLowerCase()}`);
  return w.values.some((v) => attrs.includes(`${v.kind}=${String(v.value).toLowerCase()}`));
}

function LivePanel({ w, t }) {
  const [state, setState] = useState('connecting');
  const [items, setItems] = useState([]);
  useEffect(() => {
    setItems([]);
    // One entry per event: a watch.match and the raw event it came from share the seq.
    const push = (x) => setItems((l) => (l.some((y) => y.seq === x.seq && y.type === x.type) ? l : [x, ...l].slice(0, LIVE_MAX)));
    return openStream('/api/v1/events/stream', {
      events: ['watch.match', 'watch.test', 'certificate.issued', 'certificate.revoked', 'certificate.released', 'certificate.key_reused', 'closed'],
      onState: setState,
      onEvent: (name, data) => {
        if (!data || typeof data !== 'object') return;
        if (name === 'closed') { setState('closed'); return; }
        if (name === 'watch.match' || name === 'watch.test') {
          if (Number(data.watch) === Number(w.id)) push({ ...eventSummary(data), note: name === 'watch.test' ? 'test' : (data.matched ? `${data.matched.kind}=${data.matched.value}` : '') });
        } else if (matchesWatch(w, data)) {
          push(eventSummary(data));
        }
      },
    });
  }, [w.id]);
  return (
    <section class="panel" aria-labelledby="live-h" data-testid="watch-live-panel" data-state={state}>
      <h2 id="live-h">{t('watches.live')}</h2>
      <p class="hint" role="status">{t('watches.live_state.' + state)}</p>
      {items.length === 0 ? <Empty title={t('watches.live_empty')}>{t('watches.live_hint')}</Empty> : (
        <ul class="live-list" aria-live="polite">
          {items.map((e, i) => (
            <li key={e.seq + '-' + i} data-seq={e.seq}>
              <strong>{tOr('watches.event.' + e.type.replace(/\./g, '_'), e.type)}</strong>{' '}
              {e.sha256 ? <a href={'#/certificates/' + e.sha256}>{e.name || e.serial}</a> : e.name}
              {e.id && <> · <code>{e.id}</code></>}
              {e.issuer && <> · {e.issuer}</>}
              {e.reason && <> · {tOr('common.reason.' + e.reason, e.reason)}</>}
              {e.note && <> · <span class="muted">{e.note}</span></>}
              <div class="muted small">#{e.seq} <Time value={e.time} seconds /></div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DeliveryLog({ id, api, t, tick }) {
  // GET /api/v1/watches/{id}/deliveries: the webhook attempts kept in memory (oldest first from
  // the server; shown newest first).
  const r = useAsync(() => api.get(`/api/v1/watches/${id}/deliveries`), [id, tick]);
  if (r.loading && !r.data) return <Spinner />;
  if (r.error) return <ErrorBox error={r.error} />;
  const rows = [...((r.data && r.data.deliveries) || [])].reverse();
  return (
    <>
      <div class="form-actions"><Button kind="secondary" busy={r.loading} onClick={r.reload}>{t('watches.log_reload')}</Button></div>
      <Table caption={t('watches.log_caption', { n: (r.data && r.data.kept) || 100 })} rows={rows} rowKey={(d) => d.time + '-' + d.seq + '-' + rows.indexOf(d)}
        empty={<Empty title={t('watches.log_empty')}>{t('watches.log_empty_hint')}</Empty>}
        columns={[
          { key: 'time', label: t('watches.log_time'), render: (d) => <Time value={d.time} seconds /> },
          { key: 'seq', label: t('watches.log_seq'), render: (d) => d.seq },
          { key: 'result', label: t('watches.log_result'), render: (d) => <StatusBadge status={d.delivered ? 'delivered' : 'failed'} /> },
          { key: 'status', label: t('watches.log_status'), render: (d) => (d.status ? 'HTTP ' + d.status : '—') },
          { key: 'millis', label: t('watches.log_millis'), render: (d) => (d.millis ?? '—') },
          { key: 'error', label: t('watches.log_error'), render: (d) => d.error || '—' },
        ]} />
    </>
  );
}

function WatchDetail({ id, me, api, t, issuers, onChanged, onEdit }) {
  const w = useAsync(() => api.get('/api/v1/watches/' + id), [id]);
  const [busy, setBusy] = useState('');
  const [msg, setMsg] = useState(null);
  const [error, setError] = useState(null);
  const [from, setFrom] = useState('');
  const [confirmDel, setConfirmDel] = useState(false);
  const [tick, setTick] = useState(0);
  const mayWrite = me.may && me.may.write;
  if (w.loading && !w.data) return <Spinner />;
  if (w.error) return <ErrorBox error={w.error} />;
  const d = w.data;

  const act = async (name, fn) => {
    setBusy(name); setError(null); setMsg(null);
    try { await fn(); } catch (e) { setError(e); }
    setBusy(''); setTick((n) => n + 1);
  };
  const test = () => act('test', async () => {
    const r = await api.post(`/api/v1/watches/${id}/test`, {});
    setMsg({ kind: r.delivered ? 'ok' : 'warn', text: r.delivered ? t('watches.test_ok') + (r.status ? ` (HTTP ${r.status})` : '') : t('watches.test_failed', { error: r.error || r.status || '' }) });
  });
  const replay = (useFrom) => act('replay', async () => {
    const r = await api.post(`/api/v1/watches/${id}/replay`, useFrom && from !== '' ? { from: Number(from) } : {});
    setMsg({ kind: 'ok', text: t('watches.replayed', { from: r.cursor, prev: r.previous_cursor }) });
    w.reload(); onChanged();
  });
  const del = () => act('delete', async () => {
    await api.del('/api/v1/watches/' + id);
    setConfirmDel(false);
    onChanged(true);
  });

  return (
    <>
      <section class="panel" aria-labelledby="wd-h">
        <div class="page-head">
          <h2 id="wd-h">{d.name || t('watches.unnamed', { id: d.id })}</h2>
          {mayWrite && (
            <div class="page-actions">
              <Button kind="secondary" busy={busy === 'test'} onClick={test}>{t('watches.test')}</Button>
              <Button kind="secondary" onClick={() => onEdit(d)}>{t('common.edit')}</Button>
              <Button kind="danger" onClick={() => setConfirmDel(true)}>{t('common.delete')}</Button>
            </div>
          )}
        </div>
        {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
        <ErrorBox error={error} />
        <dl class="props">
          <dt>{t('watches.state')}</dt><dd><StatusBadge status={d.state} /></dd>
          <dt>{t('watches.filter')}</dt><dd>{filterText(d, t)}</dd>
          <dt>{t('watches.kinds')}</dt><dd>{(d.kinds || []).map((k) => t('watches.kind.' + k)).join(', ')}</dd>
          <dt>{t('watches.delivery')}</dt><dd>{d.delivery === 'webhook' ? <>{t('watches.delivery_webhook')}: <code>{d.url}</code></> : t('watches.delivery_stream')}</dd>
          <dt>{t('watches.cursor')}</dt><dd>{d.cursor}</dd>
          <dt>{t('watches.created')}</dt><dd><Time value={d.created} /> ({d.created_by})</dd>
        </dl>
        {d.delivery === 'webhook' && (
          <>
            <h3>{t('watches.log')}</h3>
            <dl class="props">
              <dt>{t('watches.delivered')}</dt><dd>{d.delivered ?? 0}</dd>
              <dt>{t('watches.last_delivery')}</dt><dd><Time value={d.last_delivery} seconds /></dd>
              <dt>{t('watches.last_attempt')}</dt><dd><Time value={d.last_attempt} seconds /></dd>
              <dt>{t('watches.failures')}</dt><dd>{d.failures ?? 0}</dd>
              <dt>{t('watches.last_error')}</dt><dd>{d.last_error || '—'}</dd>
            </dl>
            <DeliveryLog id={d.id} api={api} t={t} tick={tick} />
          </>
        )}
        {d.dead_letter && (
          <div class="notice notice-warn" role="status">
            <strong>{t('watches.dead_letter')}</strong>
            <p>{t('watches.dead_letter_text', { seq: d.dead_letter.seq, n: d.dead_letter.failures, error: d.dead_letter.last_error })}</p>
            {mayWrite && <Button busy={busy === 'replay'} onClick={() => replay(false)}>{t('watches.replay_dead')}</Button>}
          </div>
        )}
        {mayWrite && (
          <form class="form-row" onSubmit={(e) => { e.preventDefault(); replay(true); }}>
            <Field label={t('watches.replay_seq')} hint={t('watches.replay_seq_hint')} type="number" min="0" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
            <div class="field-btn"><Button type="submit" kind="secondary" busy={busy === 'replay'} disabled={from === ''}>{t('watches.replay')}</Button></div>
          </form>
        )}
        <Confirm open={confirmDel} title={t('watches.confirm_delete')} message={d.name || '#' + d.id} danger busy={busy === 'delete'}
          confirmLabel={t('common.delete')} onCancel={() => setConfirmDel(false)} onConfirm={del} />
      </section>
      <LivePanel w={d} t={t} />
    </>
  );
}

function Watches({ me, api, t, query, navigate }) {
  const list = useAsync(() => api.get('/api/v1/watches'), []);
  const issuers = useAsync(() => api.get('/api/v1/issuers').then((r) => r.issuers || [], () => []), []);
  const [form, setForm] = useState(null); // null | { initial, editing }
  const [created, setCreated] = useState(null);
  const [version, setVersion] = useState(0);
  const selected = query.id ? Number(query.id) : null;
  const mayWrite = me.may && me.may.write;
  const watches = (list.data && list.data.watches) || [];
  const top = useRef(null);

  const saved = (r, wasEdit) => {
    setForm(null);
    setCreated(wasEdit ? null : r);
    setVersion((n) => n + 1);
    list.reload();
    navigate('/watches', { id: r.id });
  };
  const edit = (w) => {
    setForm({ editing: w, initial: { name: w.name || '', values: valuesText(w), issuer: w.issuer || '', kinds: w.kinds || [...DEFAULT_KINDS],
      delivery: w.delivery, url: w.url || '', replay_from: '' } });
    setTimeout(() => top.current && top.current.scrollIntoView(), 0);
  };

  return (
    <Page title={t('watches.title')} actions={mayWrite && !form && <Button onClick={() => setForm({ initial: emptyForm() })}>{t('watches.new')}</Button>}>
      <div ref={top} />
      <p class="lead">{t('watches.lead')}</p>
      {created && created.secret && (
        <Notice kind="warn"><strong>{t('watches.secret')}</strong> <code>{created.secret}</code><br />{t('watches.secret_hint')}</Notice>
      )}
      {form && <WatchForm key={form.editing ? form.editing.id : 'new'} initial={form.initial} editing={form.editing} issuers={issuers.data || []}
        api={api} t={t} onSaved={saved} onCancel={() => setForm(null)} />}
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table caption={t('watches.caption')} rows={watches} rowKey={(w) => w.id}
          empty={<Empty title={t('watches.none')}>{mayWrite ? t('watches.none_hint') : t('watches.none_hint_viewer')}</Empty>}
          columns={[
            { key: 'name', label: t('watches.name'), render: (w) => <a href={`#/watches?id=${w.id}`} aria-current={w.id === selected ? 'true' : undefined}>{w.name || t('watches.unnamed', { id: w.id })}</a> },
            { key: 'filter', label: t('watches.filter'), render: (w) => filterText(w, t) },
            { key: 'kinds', label: t('watches.kinds'), render: (w) => (w.kinds || []).map((k) => t('watches.kind.' + k)).join(', ') },
            { key: 'delivery', label: t('watches.delivery'), render: (w) => (w.delivery === 'webhook' ? t('watches.delivery_webhook') : t('watches.delivery_stream')) },
            { key: 'state', label: t('watches.state'), render: (w) => <StatusBadge status={w.state} /> },
            { key: 'cursor', label: t('watches.cursor'), render: (w) => w.cursor },
          ]} />
      )}
      {selected && <WatchDetail key={selected + '-' + version} id={selected} me={me} api={api} t={t} issuers={issuers.data || []} onEdit={edit}
        onChanged={(gone) => { list.reload(); if (gone) navigate('/watches'); }} />}
      {!selected && watches.length > 0 && <p class="hint">{t('watches.pick')}</p>}
    </Page>
  );
}

export const screen = {
  id: 'watches', route: '/watches', nav: 'nav.watches', public: false, visible: (me) => !!me && !isHolder(me), Component: Watches,
};
