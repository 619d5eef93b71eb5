// screens/admin/participants.jsx — participants: the list, a new one, one participant
// (name and code, its issuers attached and detached, block / unblock with a reason, its
// representatives and a new representative).
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t, tOr } from '../../lib/i18n.js';
import { Button, Field, Table, Empty, ErrorBox, Notice, Spinner, StatusBadge, Time, useAsync } from '../../components/index.js';
import { useAction, ReasonDialog } from './kit.jsx';

const KINDS = ['qtsp', 'central_body', 'tool_developer', 'system_owner'];
// The admin role belongs to the central body's representatives only.
export const rolesFor = (kind) => (kind === 'central_body' ? ['operator', 'viewer', 'admin'] : ['operator', 'viewer']);
export const kindLabel = (k) => tOr('admin.kind.' + k, k);
export const roleLabel = (r) => tOr('shell.role.' + r, r);

export function Participants({ selected, open, openRep }) {
  const list = useAsync(() => api.get('/api/v1/admin/participants'), []);
  const [adding, setAdding] = useState(false);
  const rows = list.data ? list.data.participants || [] : [];
  return (
    <div>
      {!adding && <div class="form-actions"><Button onClick={() => setAdding(true)}>{t('admin.new_participant')}</Button></div>}
      {adding && <ParticipantForm onCancel={() => setAdding(false)} onDone={(id) => { setAdding(false); list.reload(); open(id); }} />}
      {selected && <ParticipantDetail key={selected} id={selected} onChanged={list.reload} openRep={(r) => openRep(r, selected)} />}
      <h2>{t('admin.participants')}</h2>
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table testid="participants-table" rowKey={(p) => p.id} rows={rows} onRow={(p) => open(p.id)}
          empty={<Empty title={t('admin.no_participants')}>{t('admin.no_participants_hint')}</Empty>}
          columns={[
            { key: 'name', label: t('admin.name'), render: (p) => <a href={`#/admin?p=${p.id}`}>{p.name}</a> },
            { key: 'code', label: t('admin.code'), render: (p) => <span class="mono">{p.code}</span> },
            { key: 'kind', label: t('admin.kind_label'), render: (p) => kindLabel(p.kind) },
            { key: 'issuers', label: t('admin.issuers'), render: (p) => (p.issuers || []).join(', ') || ((p.issuer_ids || []).length ? (p.issuer_ids.length + '') : '—') },
            { key: 'status', label: t('admin.status'), render: (p) => <StatusBadge status={p.status} /> },
          ]} />
      )}
    </div>
  );
}

function ParticipantForm({ onDone, onCancel }) {
  const [f, setF] = useState({ kind: 'qtsp', name: '', code: '' });
  const [run, busy, error] = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const submit = (e) => { e.preventDefault(); run(async () => { const r = await api.post('/api/v1/admin/participants', { ...f, name: f.name.trim(), code: f.code.trim() }); onDone(r.id); }); };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="pf-title">
      <h2 id="pf-title">{t('admin.new_participant')}</h2>
      <div class="form-row">
        <Field label={t('admin.kind_label')} as="select" value={f.kind} onChange={set('kind')} options={KINDS.map((k) => [k, kindLabel(k)])} />
        <Field label={t('admin.name')} value={f.name} onInput={set('name')} required />
        <Field label={t('admin.code')} hint={t('admin.code_hint')} value={f.code} onInput={set('code')} required />
      </div>
      <ErrorBox error={error} />
      <div class="form-actions">
        <Button type="submit" busy={busy} data-testid="participant-create">{t('common.create')}</Button>
        <Button kind="secondary" onClick={onCancel}>{t('common.cancel')}</Button>
      </div>
    </form>
  );
}

function ParticipantDetail({ id, onChanged, openRep }) {
  const one = useAsync(() => api.get('/api/v1/admin/participants/' + encodeURIComponent(id)), [id]);
  const issuers = useAsync(() => api.get('/api/v1/issuers').then((r) => r.issuers || []).catch(() => null), []);
  const [run, busy, error] = useAction();
  const [blocking, setBlocking] = useState(false);
  const [editing, setEditing] = useState(false);
  const [edit, setEdit] = useState({ name: '', code: '' });
  const [attach, setAttach] = useState('');
  const [rep, setRep] = useState({ name: '', role: 'operator' });
  const [msg, setMsg] = useState('');
  const p = one.data;
  if (one.loading && !p) return <Spinner />;
  if (one.error) return <ErrorBox error={one.error} />;
  if (!p) return null;
  // Every write answers with the participant; the representatives come with GET only.
  const apply = (r, text) => { one.setData({ ...p, ...r, representatives: r.representatives || p.representatives }); setMsg(text || ''); onChanged(); };
  const block = (reason) => run(async () => { const r = await api.post(`/api/v1/admin/participants/${p.id}/block`, { reason }); setBlocking(false); apply(r, t('admin.blocked_done')); });
  const unblock = () => run(async () => apply(await api.post(`/api/v1/admin/participants/${p.id}/unblock`, {}), t('admin.unblocked_done')));
  const save = (e) => { e.preventDefault(); run(async () => { apply(await api.patch(`/api/v1/admin/participants/${p.id}`, edit), t('admin.saved')); setEditing(false); }); };
  const doAttach = (e) => { e.preventDefault(); if (attach.trim()) run(async () => { apply(await api.post(`/api/v1/admin/participants/${p.id}/issuers`, { issuer: attach.trim() }), t('admin.issuer_attached')); setAttach(''); }); };
  const detach = (name) => run(async () => apply(await api.del(`/api/v1/admin/participants/${p.id}/issuers/${encodeURIComponent(name)}`), t('admin.issuer_detached')));
  const addRep = (e) => { e.preventDefault(); run(async () => { const r = await api.post(`/api/v1/admin/participants/${p.id}/representatives`, { name: rep.name.trim(), role: rep.role }); setRep({ name: '', role: 'operator' }); setMsg(''); one.reload(); openRep(r.id); }); };
  const attached = p.issuers || [];
  const choices = (issuers.data || []).filter((i) => !attached.includes(i.name));
  return (
    <section class="panel" aria-labelledby="pd-title" data-testid="participant-detail">
      <h2 id="pd-title">{p.name} <StatusBadge status={p.status} testid="participant-status" /></h2>
      {msg && <Notice>{msg}</Notice>}
      {!editing ? (
        <dl class="props">
          <dt>{t('admin.code')}</dt><dd class="mono">{p.code}</dd>
          <dt>{t('admin.kind_label')}</dt><dd>{kindLabel(p.kind)}</dd>
          <dt>{t('admin.created')}</dt><dd><Time value={p.created} /></dd>
          <dt>{t('admin.status_changed')}</dt><dd><Time value={p.status_changed} /></dd>
          {p.status === 'blocked' && p.block_reason && <><dt>{t('admin.block_reason')}</dt><dd>{p.block_reason}</dd></>}
        </dl>
      ) : (
        <form onSubmit={save} class="form-row" aria-label={t('common.edit')}>
          <Field label={t('admin.name')} value={edit.name} onInput={(e) => setEdit({ ...edit, name: e.currentTarget.value })} required />
          <Field label={t('admin.code')} value={edit.code} onInput={(e) => setEdit({ ...edit, code: e.currentTarget.value })} required />
          <div class="form-actions"><Button type="submit" busy={busy}>{t('common.save')}</Button><Button kind="secondary" onClick={() => setEditing(false)}>{t('common.cancel')}</Button></div>
        </form>
      )}
      <div class="form-actions">
        {!editing && <Button kind="secondary" onClick={() => { setEdit({ name: p.name, code: p.code }); setEditing(true); }}>{t('admin.edit_participant')}</Button>}
        {p.status === 'blocked'
          ? <Button kind="secondary" busy={busy && !blocking} onClick={unblock} data-testid="participant-unblock">{t('admin.unblock')}</Button>
          : <Button kind="danger" onClick={() => setBlocking(true)} data-testid="participant-block">{t('admin.block')}</Button>}
      </div>
      {!blocking && <ErrorBox error={error} />}
      <ReasonDialog open={blocking} title={t('admin.block_participant_title', { name: p.name })} message={t('admin.block_participant_message')}
        confirmLabel={t('admin.block')} busy={busy} error={blocking ? error : null} onConfirm={block} onCancel={() => setBlocking(false)} />

      {p.kind === 'qtsp' && (
        <>
          <h3>{t('admin.issuers')}</h3>
          {attached.length === 0 ? <p class="muted">{t('admin.no_issuers')}</p> : (
            <ul class="plain-list">
              {attached.map((n) => <li key={n}><span class="mono">{n}</span> <Button kind="link" onClick={() => detach(n)} aria-label={t('admin.detach_named', { name: n })}>{t('admin.detach')}</Button></li>)}
            </ul>
          )}
          <form onSubmit={doAttach} class="form-row" aria-label={t('admin.attach')}>
            {issuers.data && choices.length > 0
              ? <Field label={t('admin.issuer')} as="select" value={attach} onChange={(e) => setAttach(e.currentTarget.value)}
                  options={[['', '—'], ...choices.map((i) => [i.name, i.name + (i.test ? ' (test)' : '')])]} />
              : <Field label={t('admin.issuer')} hint={t('admin.issuer_hint')} value={attach} onInput={(e) => setAttach(e.currentTarget.value)} />}
            <div class="field-btn"><Button type="submit" kind="secondary" busy={busy} disabled={!attach.trim()}>{t('admin.attach')}</Button></div>
          </form>
        </>
      )}

      <h3>{t('admin.representatives')}</h3>
      <Table testid="representatives-table" rowKey={(r) => r.id} rows={p.representatives || []} onRow={(r) => openRep(r.id)}
        empty={<p class="muted">{t('admin.no_representatives')}</p>}
        columns={[
          { key: 'name', label: t('admin.name'), render: (r) => <a href={`#/admin?p=${p.id}&r=${r.id}`}>{r.name}</a> },
          { key: 'role', label: t('admin.role'), render: (r) => roleLabel(r.role) },
          { key: 'status', label: t('admin.status'), render: (r) => <StatusBadge status={r.status} /> },
          { key: 'created', label: t('admin.created'), render: (r) => <Time value={r.created} /> },
        ]} />
      <form onSubmit={addRep} aria-labelledby="nr-title">
        <h3 id="nr-title">{t('admin.new_representative')}</h3>
        <div class="form-row">
          <Field label={t('admin.rep_name')} value={rep.name} onInput={(e) => setRep({ ...rep, name: e.currentTarget.value })} required />
          <Field label={t('admin.role')} as="select" value={rep.role} onChange={(e) => setRep({ ...rep, role: e.currentTarget.value })} options={rolesFor(p.kind).map((r) => [r, roleLabel(r)])} />
          <div class="field-btn"><Button type="submit" busy={busy} data-testid="representative-create">{t('admin.add_representative')}</Button></div>
        </div>
      </form>
    </section>
  );
}
