// screens/admin/representative.jsx — one representative: name and role, block / unblock with a
// reason, credentials (issue a token shown once with a copy button, bind a certificate, revoke).
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t } from '../../lib/i18n.js';
import { dnCN } from '../../lib/format.js';
import { Button, Field, Table, ErrorBox, Notice, Spinner, StatusBadge, Time, Confirm, useAsync } from '../../components/index.js';
import { useAction, ReasonDialog, CopyButton, readCertFile, useParticipantNames } from './kit.jsx';
import { roleLabel, rolesFor } from './participants.jsx';


export function Representative({ me, id, back }) {
  const nameOf = useParticipantNames(me);
  const one = useAsync(() => api.get('/api/v1/admin/representatives/' + encodeURIComponent(id)), [id]);
  const [run, busy, error] = useAction();
  const [blocking, setBlocking] = useState(false);
  const [revoking, setRevoking] = useState(null);
  const [msg, setMsg] = useState('');
  const [edit, setEdit] = useState(null);
  const [issued, setIssued] = useState(null);
  const [tok, setTok] = useState({ label: '', expires: '', rate: '' });
  const [cert, setCert] = useState({ pem: '', expires: '' });
  const r = one.data;
  const owner = useAsync(() => (r ? api.get('/api/v1/admin/participants/' + r.participant) : Promise.resolve(null)), [r && r.participant]);
  const kind = owner.data ? owner.data.kind : 'central_body';
  if (one.loading && !r) return <Spinner />;
  if (one.error) return <><ErrorBox error={one.error} /><Button kind="link" onClick={back}>{t('admin.back')}</Button></>;
  if (!r) return null;
  const apply = (x, text) => { one.setData({ ...r, ...x, credentials: x.credentials || r.credentials }); setMsg(text || ''); };
  const block = (reason) => run(async () => { const x = await api.post(`/api/v1/admin/representatives/${r.id}/block`, { reason }); setBlocking(false); apply(x, t('admin.rep_blocked_done')); });
  const unblock = () => run(async () => apply(await api.post(`/api/v1/admin/representatives/${r.id}/unblock`, {}), t('admin.unblocked_done')));
  const save = (e) => { e.preventDefault(); run(async () => { apply(await api.patch(`/api/v1/admin/representatives/${r.id}`, edit), t('admin.saved')); setEdit(null); }); };
  const issue = (e) => {
    e.preventDefault();
    run(async () => {
      const body = {};
      if (tok.label.trim()) body.label = tok.label.trim();
      if (tok.expires) body.expires = new Date(tok.expires).toISOString();
      if (tok.rate) body.rate_per_second = Number(tok.rate);
      const c = await api.post(`/api/v1/admin/representatives/${r.id}/tokens`, body);
      setIssued(c); setTok({ label: '', expires: '', rate: '' }); setMsg('');
      one.reload();
    });
  };
  const bind = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { certificate: cert.pem.trim() };
      if (cert.expires) body.expires = new Date(cert.expires).toISOString();
      await api.post(`/api/v1/admin/representatives/${r.id}/certificates`, body);
      setCert({ pem: '', expires: '' }); setMsg(t('admin.cert_bound'));
      one.reload();
    });
  };
  const revoke = () => run(async () => {
    await api.post(`/api/v1/admin/credentials/${revoking.id}/revoke`, {});
    setRevoking(null); setMsg(t('admin.revoked_done'));
    one.reload();
  });
  const pickCert = async (e) => { const f = e.currentTarget.files[0]; if (f) setCert({ ...cert, pem: await readCertFile(f) }); };
  const creds = [...(r.credentials || [])].sort((a, b) => b.id - a.id);
  return (
    <section class="panel" aria-labelledby="rep-title" data-testid="representative-detail">
      <p><Button kind="link" onClick={back}>← {t('admin.back')}</Button></p>
      <h2 id="rep-title">{r.name} <StatusBadge status={r.status} testid="representative-status" /></h2>
      {msg && <Notice>{msg}</Notice>}
      {!edit ? (
        <dl class="props">
          <dt>{t('admin.role')}</dt><dd>{roleLabel(r.role)}</dd>
          <dt>{t('admin.participant')}</dt><dd><a href={`#/admin?p=${r.participant}`}>{nameOf(r.participant)}</a></dd>
          <dt>{t('admin.created')}</dt><dd><Time value={r.created} /></dd>
          {r.status === 'blocked' && r.block_reason && <><dt>{t('admin.block_reason')}</dt><dd>{r.block_reason}</dd></>}
        </dl>
      ) : (
        <form onSubmit={save} class="form-row" aria-label={t('common.edit')}>
          <Field label={t('admin.rep_name')} value={edit.name} onInput={(e) => setEdit({ ...edit, name: e.currentTarget.value })} required />
          <Field label={t('admin.role')} as="select" value={edit.role} onChange={(e) => setEdit({ ...edit, role: e.currentTarget.value })} options={rolesFor(kind).map((x) => [x, roleLabel(x)])} />
          <div class="form-actions"><Button type="submit" busy={busy}>{t('common.save')}</Button><Button kind="secondary" onClick={() => setEdit(null)}>{t('common.cancel')}</Button></div>
        </form>
      )}
      <div class="form-actions">
        {!edit && <Button kind="secondary" onClick={() => setEdit({ name: r.name, role: r.role })}>{t('admin.edit_representative')}</Button>}
        {r.status === 'blocked'
          ? <Button kind="secondary" busy={busy && !blocking} onClick={unblock} data-testid="representative-unblock">{t('admin.unblock')}</Button>
          : <Button kind="danger" onClick={() => setBlocking(true)} data-testid="representative-block">{t('admin.block')}</Button>}
      </div>
      {!blocking && !revoking && <ErrorBox error={error} />}
      {blocking && <ReasonDialog open={blocking} title={t('admin.block_rep_title', { name: r.name })} message={t('admin.block_rep_message')}
        confirmLabel={t('admin.block')} busy={busy} error={blocking ? error : null} onConfirm={block} onCancel={() => setBlocking(false)} />}

      {issued && (
        <div class="notice notice-warn token-once" role="alert" data-testid="token-issued">
          <p><strong>{t('admin.token_once_title')}</strong> {t('admin.token_once')}</p>
          <p><code class="mono token-value" data-testid="token-value">{issued.token}</code></p>
          <div class="form-actions">
            <CopyButton text={issued.token} label={t('admin.copy_token')} testid="token-copy" />
            <Button kind="secondary" onClick={() => setIssued(null)}>{t('admin.token_saved')}</Button>
          </div>
        </div>
      )}

      <h3>{t('admin.credentials')}</h3>
      <Table testid="credentials-table" rowKey={(c) => c.id} rows={creds}
        empty={<p class="muted">{t('admin.no_credentials')}</p>}
        columns={[
          { key: 'id', label: '№', render: (c) => '#' + c.id },
          { key: 'kind', label: t('admin.cred_kind'), render: (c) => (c.kind === 'token' ? t('admin.token') : t('admin.certificate')) },
          { key: 'what', label: t('admin.cred_what'), render: (c) => (c.kind === 'certificate' ? <span title={c.subject}>{dnCN(c.subject)}</span> : (c.label || <span class="muted">—</span>)) },
          { key: 'created', label: t('admin.created'), render: (c) => <Time value={c.created} /> },
          { key: 'expires', label: t('admin.expires'), render: (c) => (c.expires ? <Time value={c.expires} /> : <span class="muted">{t('admin.no_expiry')}</span>) },
          { key: 'state', label: t('admin.status'), render: (c) => (c.revoked ? <><StatusBadge status="revoked" /> <Time value={c.revoked} /></> : <StatusBadge status="active" />) },
          { key: 'act', label: t('common.actions'), render: (c) => (!c.revoked && <Button kind="danger" onClick={() => setRevoking(c)} data-testid="credential-revoke">{t('admin.revoke')}</Button>) },
        ]} />
      {revoking && <Confirm open={!!revoking} title={t('admin.revoke_title', { id: revoking ? revoking.id : '' })} message={t('admin.revoke_message')} danger
        confirmLabel={t('admin.revoke')} busy={busy} onConfirm={revoke} onCancel={() => setRevoking(null)}>
        <ErrorBox error={revoking ? error : null} />
      </Confirm>}

      <div class="grid2">
        <form onSubmit={issue} aria-labelledby="tok-title">
          <h3 id="tok-title">{t('admin.issue_token')}</h3>
          <Field label={t('admin.token_label')} value={tok.label} onInput={(e) => setTok({ ...tok, label: e.currentTarget.value })} />
          <Field label={t('admin.expires')} hint={t('admin.expires_hint')} type="datetime-local" value={tok.expires} onInput={(e) => setTok({ ...tok, expires: e.currentTarget.value })} />
          <Field label={t('admin.rate')} type="number" min="0" step="any" value={tok.rate} onInput={(e) => setTok({ ...tok, rate: e.currentTarget.value })} />
          <Button type="submit" busy={busy} data-testid="token-issue">{t('admin.issue_token')}</Button>
        </form>
        <form onSubmit={bind} aria-labelledby="bind-title">
          <h3 id="bind-title">{t('admin.bind_certificate')}</h3>
          <Field label={t('admin.certificate_pem')} as="textarea" value={cert.pem} onInput={(e) => setCert({ ...cert, pem: e.currentTarget.value })} placeholder="-----BEGIN CERTIFICATE-----" required />
          <Field label={t('admin.certificate_file')} type="file" accept=".pem,.cer,.crt,.der" onChange={pickCert} />
          <Field label={t('admin.expires')} type="datetime-local" value={cert.expires} onInput={(e) => setCert({ ...cert, expires: e.currentTarget.value })} />
          <Button type="submit" busy={busy} data-testid="certificate-bind">{t('admin.bind_certificate')}</Button>
        </form>
      </div>
    </section>
  );
}
