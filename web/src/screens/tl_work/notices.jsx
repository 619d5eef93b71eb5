// screens/tl_work/notices.jsx — change notices to the trusted list: the list, one notice with
// its values and history, filing a new one (QTSPs for their own provider, the central body for
// any), approve / reject for central-body administrators.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t, tOr } from '../../lib/i18n.js';
import { etsiLabel, shortHex } from '../../lib/format.js';
import { Button, Field, Table, Empty, ErrorBox, Notice, Spinner, Progress, Time, useAsync } from '../../components/index.js';
import { may, isQtsp, useAction, ReasonDialog, readCertFile, StateBadge, useParticipantNames, actorLabel } from '../admin/kit.jsx';

const KINDS = ['new_service', 'new_certificate', 'status_change', 'update', 'termination'];
const STATUS_URIS = [
  'http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted',
  'http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn',
];
const TYPE_URIS = [
  'http://uri.etsi.org/TrstSvc/Svctype/CA/QC',
  'http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST',
  'http://uri.etsi.org/TrstSvc/Svctype/Certstatus/OCSP/QC',
  'http://uri.etsi.org/TrstSvc/Svctype/EDS/Q',
];

const kindLabel = (k) => tOr('tl.kind.' + k, k);

export function Notices({ me, selected, open }) {
  const list = useAsync(() => api.get('/api/v1/tl/notices'), []);
  const canFile = may(me, 'write') && (isQtsp(me) || may(me, 'central_body'));
  const [filing, setFiling] = useState(false);
  const [state, setState] = useState('');
  const notices = list.data ? (list.data.notices || []).filter((n) => !state || n.state === state).sort((a, b) => b.id - a.id) : [];
  const onFiled = (n) => { setFiling(false); list.reload(); open(n.id); };
  return (
    <div>
      <p class="lead">{t('tl.notices_lead')}</p>
      {canFile && !filing && <div class="form-actions"><Button onClick={() => setFiling(true)}>{t('tl.new_notice')}</Button></div>}
      {filing && <NoticeForm me={me} onDone={onFiled} onCancel={() => setFiling(false)} />}
      {selected && <NoticeDetail key={selected} id={selected} me={me} onChanged={list.reload} />}
      <h2>{t('tl.notices')}</h2>
      <div class="form-row">
        <Field label={t('tl.state_filter')} as="select" value={state} onChange={(e) => setState(e.currentTarget.value)}
          options={[['', t('common.all')], ...['submitted', 'approved', 'rejected'].map((x) => [x, tOr('tl.state_v.' + x, x)])]} />
      </div>
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table testid="notices-table" caption={t('tl.notices_caption')} rowKey={(n) => n.id} rows={notices} onRow={(n) => open(n.id)}
          empty={<Empty title={t('tl.no_notices')}>{canFile ? t('tl.no_notices_hint') : t('tl.no_notices_viewer')}</Empty>}
          columns={[
            { key: 'id', label: t('tl.number'), render: (n) => <a href={'#/tl-work?tab=notices&notice=' + n.id}>№ {n.id}</a> },
            { key: 'kind', label: t('tl.kind_label'), render: (n) => kindLabel(n.kind) },
            { key: 'provider', label: t('tl.provider'), render: (n) => <span>{n.provider}{n.service && <small class="muted mono"> · {shortHex(n.service)}</small>}</span> },
            { key: 'state', label: t('tl.state'), render: (n) => <StateBadge status={n.state} ns="tl.state_v." /> },
            { key: 'created', label: t('tl.created'), render: (n) => <Time value={n.created} /> },
            { key: 'changed', label: t('tl.changed'), render: (n) => <Time value={n.changed} /> },
          ]} />
      )}
    </div>
  );
}

function NoticeDetail({ id, me, onChanged }) {
  const nameOf = useParticipantNames(me);
  const one = useAsync(() => api.get('/api/v1/tl/notices/' + encodeURIComponent(id)), [id]);
  const [run, busy, error] = useAction();
  const [rejecting, setRejecting] = useState(false);
  const [published, setPublished] = useState(null);
  const n = one.data;
  const approve = () => run(async () => {
    const r = await api.post(`/api/v1/tl/notices/${id}/approve`, {});
    setPublished(r.published || null);
    one.setData(r.notice || n);
    onChanged();
  });
  const reject = (reason) => run(async () => {
    const r = await api.post(`/api/v1/tl/notices/${id}/reject`, { reason });
    setRejecting(false);
    one.setData(r);
    onChanged();
  });
  if (one.loading && !n) return <Spinner />;
  if (one.error) return <ErrorBox error={one.error} />;
  if (!n) return null;
  const v = n.values || {};
  const pending = n.state === 'submitted';
  return (
    <section class="panel" aria-labelledby="notice-title" data-testid="notice-detail">
      <h2 id="notice-title">{t('tl.notice_title', { id: n.id })} <StateBadge status={n.state} ns="tl.state_v." testid="notice-state" /></h2>
      <dl class="props">
        <dt>{t('tl.kind_label')}</dt><dd>{kindLabel(n.kind)}</dd>
        <dt>{t('tl.list')}</dt><dd>{n.list}</dd>
        <dt>{t('tl.provider')}</dt><dd>{n.provider}</dd>
        {n.participant !== undefined && <><dt>{t('tl.participant')}</dt><dd>{nameOf(n.participant)}</dd></>}
        {n.service && <><dt>{t('tl.service')}</dt><dd class="mono">{n.service}</dd></>}
        {v.type && <><dt>{t('tl.service_type')}</dt><dd>{etsiLabel(v.type)}</dd></>}
        {v.names && v.names.length > 0 && <><dt>{t('tl.service_names')}</dt><dd>{v.names.map((x) => <div key={x.lang}>{x.value} <small class="muted">({x.lang})</small></div>)}</dd></>}
        {v.status && <><dt>{t('tl.service_status')}</dt><dd>{etsiLabel(v.status)}</dd></>}
        {v.status_starting_time && <><dt>{t('tl.status_start')}</dt><dd><Time value={v.status_starting_time} /></dd></>}
        {v.certificate_sha256 && <><dt>{t('tl.certificate')}</dt><dd class="mono">SHA-256 {v.certificate_sha256}</dd></>}
        {v.supply_points && <><dt>{t('tl.supply_points')}</dt><dd>{v.supply_points.map((s) => <div key={s.uri} class="mono">{s.uri}</div>)}</dd></>}
        {n.comment && <><dt>{t('tl.comment')}</dt><dd>{n.comment}</dd></>}
        {n.reason && <><dt>{t('tl.reject_reason')}</dt><dd>{n.reason}</dd></>}
        {n.published_sequence && <><dt>{t('tl.published_as')}</dt><dd><a href={`/tl/history/${n.published_sequence}.xml`}>{t('tl.version_n', { n: n.published_sequence })}</a></dd></>}
        <dt>{t('tl.created')}</dt><dd><Time value={n.created} /></dd>
      </dl>
      <h3>{t('tl.history')}</h3>
      <ol class="history">
        {(n.history || []).map((h, i) => (
          <li key={i}><Time value={h.time} /> — <strong>{tOr('tl.action.' + h.action, h.action)}</strong> <span class="muted">{actorLabel(h.actor, nameOf)}</span>
            {h.note && <span> · {h.note}</span>}
            {h.sequence && <span> · <a href={`/tl/history/${h.sequence}.xml`}>{t('tl.version_n', { n: h.sequence })}</a></span>}</li>
        ))}
      </ol>
      <p><Button kind="secondary" onClick={() => { one.reload(); onChanged(); }} busy={one.loading}>{t('common.refresh')}</Button></p>
      {published && (
        <Notice>{t('tl.approved_published', { n: published.sequence })} <a href={`/tl/history/${published.sequence}.xml`}>{t('tl.open_xml')}</a></Notice>
      )}
      {pending && may(me, 'admin') && (
        <div class="form-actions">
          <Button onClick={approve} busy={busy && !rejecting} data-testid="notice-approve">{t('tl.approve')}</Button>
          <Button kind="danger" onClick={() => setRejecting(true)} disabled={busy} data-testid="notice-reject">{t('tl.reject')}</Button>
        </div>
      )}
      {busy && !rejecting && <Progress label={t('tl.approving')} />}
      {!rejecting && <ErrorBox error={error} />}
      {pending && !may(me, 'admin') && <p class="muted">{t('tl.waiting_review')}</p>}
      <ReasonDialog open={rejecting} title={t('tl.reject_title', { id: n.id })} message={t('tl.reject_message')}
        confirmLabel={t('tl.reject')} busy={busy} error={rejecting ? error : null} onConfirm={reject} onCancel={() => setRejecting(false)} />
    </section>
  );
}

function NoticeForm({ me, onDone, onCancel }) {
  const own = isQtsp(me) && me.participant_code ? 'NTRUA-' + me.participant_code : '';
  const [f, setF] = useState({ list: '', kind: 'status_change', provider: own, service: '', comment: '', type: TYPE_URIS[0],
    name_uk: '', name_en: '', certificate: '', status: STATUS_URIS[1], status_start: '', supply: '' });
  const [run, busy, error] = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const k = f.kind;
  const needsService = k !== 'new_service';
  const showType = k === 'new_service';
  const showNames = k === 'new_service' || k === 'update';
  const showCert = k === 'new_service' || k === 'new_certificate';
  const showStatus = k === 'status_change' || k === 'new_service' || k === 'termination';
  const showSupply = k === 'update' || k === 'new_service';
  const pickCert = async (e) => {
    const file = e.currentTarget.files[0];
    if (file) setF({ ...f, certificate: await readCertFile(file) });
  };
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const values = {};
      if (showType && f.type) values.type = f.type;
      if (showNames) {
        const names = [];
        if (f.name_uk.trim()) names.push({ lang: 'uk', value: f.name_uk.trim() });
        if (f.name_en.trim()) names.push({ lang: 'en', value: f.name_en.trim() });
        if (names.length) values.names = names;
      }
      if (showCert && f.certificate.trim()) values.certificate = f.certificate.trim();
      if (showStatus && f.status && k !== 'termination') values.status = f.status;
      if (showStatus && f.status_start) values.status_starting_time = new Date(f.status_start).toISOString();
      if (showSupply && f.supply.trim()) values.supply_points = f.supply.split(/\s+/).filter(Boolean).map((uri) => ({ uri }));
      const body = { kind: k, provider: f.provider.trim() };
      if (f.list.trim()) body.list = f.list.trim();
      if (needsService && f.service.trim()) body.service = f.service.trim().toLowerCase();
      if (f.comment.trim()) body.comment = f.comment.trim();
      if (Object.keys(values).length) body.values = values;
      const n = await api.post('/api/v1/tl/notices', body);
      onDone(n);
    });
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="notice-form-title">
      <h2 id="notice-form-title">{t('tl.new_notice')}</h2>
      <div class="form-row">
        <Field label={t('tl.kind_label')} as="select" value={k} onChange={set('kind')} options={KINDS.map((x) => [x, kindLabel(x)])} />
        <Field label={t('tl.provider')} hint={t('tl.provider_hint')} value={f.provider} onInput={set('provider')} required />
        <Field label={t('tl.list')} hint={t('tl.list_hint')} value={f.list} onInput={set('list')} />
      </div>
      {needsService && <Field label={t('tl.service')} hint={t('tl.service_hint')} value={f.service} onInput={set('service')} required />}
      {showType && <Field label={t('tl.service_type')} as="select" value={f.type} onChange={set('type')} options={TYPE_URIS.map((u) => [u, etsiLabel(u)])} />}
      {showNames && (
        <div class="form-row">
          <Field label={t('tl.name_uk')} value={f.name_uk} onInput={set('name_uk')} />
          <Field label={t('tl.name_en')} value={f.name_en} onInput={set('name_en')} />
        </div>
      )}
      {showCert && (
        <>
          <Field label={t('tl.certificate_pem')} as="textarea" value={f.certificate} onInput={set('certificate')} placeholder="-----BEGIN CERTIFICATE-----" />
          <Field label={t('tl.certificate_file')} type="file" accept=".pem,.cer,.crt" onChange={pickCert} />
        </>
      )}
      {showStatus && (
        <div class="form-row">
          {k !== 'termination' && <Field label={t('tl.service_status')} as="select" value={f.status} onChange={set('status')} options={STATUS_URIS.map((u) => [u, etsiLabel(u)])} />}
          <Field label={t('tl.status_start')} type="datetime-local" value={f.status_start} onInput={set('status_start')} />
        </div>
      )}
      {showSupply && <Field label={t('tl.supply_points')} hint={t('tl.supply_hint')} value={f.supply} onInput={set('supply')} />}
      <Field label={t('tl.comment')} as="textarea" value={f.comment} onInput={set('comment')} />
      <ErrorBox error={error} />
      <div class="form-actions">
        <Button type="submit" busy={busy} data-testid="notice-file">{t('tl.file')}</Button>
        <Button kind="secondary" onClick={onCancel}>{t('common.cancel')}</Button>
      </div>
    </form>
  );
}
