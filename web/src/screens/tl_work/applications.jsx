// screens/tl_work/applications.jsx — applications for the central body's trust services: the
// list (own; the central body all), one application with history and result, a new one (any
// participant's operator or admin, with a CSR or other attachments), and for central-body
// administrators moving it on (in review, approved, rejected, completed with a certificate).
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { download } from '../../lib/csv.js';
import { t, tOr } from '../../lib/i18n.js';
import { Button, Field, Table, Empty, ErrorBox, Spinner, Time, useAsync } from '../../components/index.js';
import { may, useAction, readFileText, StateBadge, useParticipantNames, actorLabel } from '../admin/kit.jsx';

const NEXT = { submitted: ['in_review', 'rejected'], in_review: ['approved', 'rejected'], approved: ['completed'] };
const SERVICES = ['ca_certificate', 'tl_inclusion', 'ocsp_certificate', 'tsa_certificate'];
const stateLabel = (s) => tOr('tl.app_state.' + s, s);
const serviceLabel = (s) => tOr('tl.app_service.' + s, s);

export function Applications({ me, selected, open }) {
  const list = useAsync(() => api.get('/api/v1/applications'), []);
  const nameOf = useParticipantNames(me);
  const [filing, setFiling] = useState(false);
  const canFile = may(me, 'write');
  const rows = list.data ? [...(list.data.applications || [])].sort((a, b) => b.id - a.id) : [];
  return (
    <div>
      <p class="lead">{t('tl.apps_lead')}</p>
      {canFile && !filing && <div class="form-actions"><Button onClick={() => setFiling(true)}>{t('tl.new_application')}</Button></div>}
      {filing && <ApplicationForm onCancel={() => setFiling(false)} onDone={(a) => { setFiling(false); list.reload(); open(a.id); }} />}
      {selected && <ApplicationDetail key={selected} id={selected} me={me} onChanged={list.reload} />}
      <h2>{t('tl.applications')}</h2>
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table testid="applications-table" rowKey={(a) => a.id} rows={rows} onRow={(a) => open(a.id)}
          empty={<Empty title={t('tl.no_applications')}>{canFile ? t('tl.no_applications_hint') : ''}</Empty>}
          columns={[
            { key: 'id', label: t('tl.number'), render: (a) => <a href={'#/tl-work?tab=applications&application=' + a.id}>№ {a.id}</a> },
            { key: 'service', label: t('tl.app_service_label'), render: (a) => serviceLabel(a.service) },
            { key: 'participant', label: t('tl.participant'), render: (a) => nameOf(a.participant) },
            { key: 'state', label: t('tl.state'), render: (a) => <StateBadge status={a.state} ns="tl.state_v." /> },
            { key: 'created', label: t('tl.created'), render: (a) => <Time value={a.created} /> },
            { key: 'changed', label: t('tl.changed'), render: (a) => <Time value={a.changed} /> },
          ]} />
      )}
    </div>
  );
}

function ApplicationDetail({ id, me, onChanged }) {
  const nameOf = useParticipantNames(me);
  const one = useAsync(() => api.get('/api/v1/applications/' + encodeURIComponent(id)), [id]);
  const [run, busy, error] = useAction();
  const [to, setTo] = useState('');
  const [note, setNote] = useState('');
  const [cert, setCert] = useState('');
  const a = one.data;
  if (one.loading && !a) return <Spinner />;
  if (one.error) return <ErrorBox error={one.error} />;
  if (!a) return null;
  const next = NEXT[a.state] || [];
  const target = to && next.includes(to) ? to : next[0];
  const move = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { state: target };
      if (note.trim()) body.note = note.trim();
      if (target === 'completed' && cert.trim()) body.certificate = cert.trim();
      const r = await api.post(`/api/v1/applications/${a.id}/status`, body);
      one.setData(r); setNote(''); setCert(''); setTo('');
      onChanged();
    });
  };
  return (
    <section class="panel" aria-labelledby="app-title" data-testid="application-detail">
      <h2 id="app-title">{t('tl.application_title', { id: a.id })} <StateBadge status={a.state} ns="tl.state_v." testid="application-state" /></h2>
      <dl class="props">
        <dt>{t('tl.app_service_label')}</dt><dd>{serviceLabel(a.service)}</dd>
        <dt>{t('tl.participant')}</dt><dd>{nameOf(a.participant)}</dd>
        {a.text && <><dt>{t('tl.app_text')}</dt><dd class="pre">{a.text}</dd></>}
        <dt>{t('tl.attachments')}</dt>
        <dd>{(a.attachments || []).length === 0 ? <span class="muted">{t('common.none')}</span> : a.attachments.map((x, i) => (
          <div key={i}><Button kind="link" onClick={() => download(x.name || 'attachment', x.content, x.media_type)}>{x.name || t('tl.attachment')}</Button> <small class="muted">{x.media_type}</small></div>
        ))}</dd>
        {a.result && a.result.note && <><dt>{t('tl.result_note')}</dt><dd>{a.result.note}</dd></>}
        {a.result && a.result.certificate && <><dt>{t('tl.result_certificate')}</dt>
          <dd><Button kind="link" onClick={() => download(`application-${a.id}.pem`, a.result.certificate, 'application/x-pem-file')}>{t('tl.download_certificate')}</Button></dd></>}
      </dl>
      <h3>{t('tl.history')}</h3>
      <ol class="history">
        {(a.history || []).map((h, i) => (
          <li key={i}><Time value={h.time} /> — <strong>{stateLabel(h.state)}</strong> <span class="muted">{actorLabel(h.actor, nameOf)}</span>{h.note && <span> · {h.note}</span>}</li>
        ))}
      </ol>
      <p><Button kind="secondary" onClick={() => { one.reload(); onChanged(); }} busy={one.loading}>{t('common.refresh')}</Button></p>
      {may(me, 'admin') && next.length > 0 && (
        <form onSubmit={move} aria-label={t('tl.move_on')}>
          <h3>{t('tl.move_on')}</h3>
          <div class="form-row">
            <Field label={t('tl.new_state')} as="select" value={target} onChange={(e) => setTo(e.currentTarget.value)}
              options={next.map((s) => [s, stateLabel(s)])} />
            <Field label={t('admin.note')} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </div>
          {target === 'completed' && <Field label={t('tl.result_certificate')} as="textarea" value={cert} onInput={(e) => setCert(e.currentTarget.value)} placeholder="-----BEGIN CERTIFICATE-----" />}
          <ErrorBox error={error} />
          <div class="form-actions"><Button type="submit" busy={busy} kind={target === 'rejected' ? 'danger' : 'primary'}>{t('tl.apply_state', { state: stateLabel(target) })}</Button></div>
        </form>
      )}
    </section>
  );
}

function ApplicationForm({ onDone, onCancel }) {
  const [service, setService] = useState(SERVICES[0]);
  const [text, setText] = useState('');
  const [files, setFiles] = useState([]);
  const [run, busy, error] = useAction();
  const pick = (e) => run(async () => {
    const out = [];
    for (const file of Array.from(e.currentTarget.files || []).slice(0, 8)) {
      const content = await readFileText(file);
      const csr = /\.(csr|p10)$/i.test(file.name) || content.includes('BEGIN CERTIFICATE REQUEST');
      out.push({ name: file.name, media_type: csr ? 'application/pkcs10' : (file.type || 'text/plain'), content });
    }
    setFiles(out);
  });
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { service };
      if (text.trim()) body.text = text.trim();
      if (files.length) body.attachments = files;
      onDone(await api.post('/api/v1/applications', body));
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="app-form-title">
      <h2 id="app-form-title">{t('tl.new_application')}</h2>
      <Field label={t('tl.app_service_label')} as="select" value={service} onChange={(e) => setService(e.currentTarget.value)}
        options={SERVICES.map((s) => [s, serviceLabel(s)])} />
      <Field label={t('tl.app_text')} as="textarea" value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <Field label={t('tl.attachments')} hint={t('tl.attachments_hint')} type="file" multiple accept=".csr,.p10,.pem,.txt" onChange={pick} />
      {files.length > 0 && <ul>{files.map((f) => <li key={f.name}>{f.name} <small class="muted">{f.media_type}</small></li>)}</ul>}
      <ErrorBox error={error} />
      <div class="form-actions">
        <Button type="submit" busy={busy} data-testid="application-file">{t('tl.file_application')}</Button>
        <Button kind="secondary" onClick={onCancel}>{t('common.cancel')}</Button>
      </div>
    </form>
  );
}
