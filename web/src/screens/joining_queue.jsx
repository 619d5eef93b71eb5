// screens/joining_queue.jsx — "Заявки на приєднання", the central body's queue of signed joining
// applications (docs/joining.md), for every central-body representative; the decisions for its
// administrators only (the server refuses anyone else anyway).
//   #/joining-applications            GET /api/v1/joining/applications?state=… (pending first by
//                                     default; newest first; paged with `before`)
//   #/joining-applications/<number>   GET …/{number}: kinds, organisation, issuers,
//                                     representatives or block, the signer, the check at filing
//                                     and check_now, the signed bytes (…/signed), the decision
//                                     (POST …/{number}/decision approve | reject with a reason)
//                                     and its outcome.
import { useEffect, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { isHolder } from '../lib/session.js';
import { certViewB64 } from '../lib/joining.js';
import { may, ReasonDialog, StateBadge } from './admin/kit.jsx';
import { kindsText, orgKindText, roleText, CertLine } from './joining.jsx';
import { Page, Field, Button, Table, ErrorBox, Spinner, Empty, Notice, Time, Confirm, useAsync } from '../components/index.js';

const BASE = '/api/v1/joining/applications';
const STATES = ['pending', 'approved', 'rejected', 'all'];
const PAGE = 50;

const centralBody = (me) => !!me && !isHolder(me) && may(me, 'central_body');

function useApplications(api, state) {
  const [rows, setRows] = useState([]);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState(null);
  const load = async (before) => {
    setLoading(true); setError(null);
    if (!before) { setRows([]); setNext(null); }
    try {
      const r = await api.get(BASE, { state: state === 'all' ? undefined : state, before: before || undefined, limit: PAGE });
      const got = (r && (r.applications || r.items)) || (Array.isArray(r) ? r : []);
      setRows((l) => (before ? [...l, ...got.filter((x) => !l.some((y) => y.number === x.number))] : got));
      const last = got.length ? got[got.length - 1].number : null;
      setNext(r && r.next !== undefined ? r.next : (got.length >= PAGE ? last : null));
    } catch (e) { setError(e); }
    setLoading(false);
  };
  useEffect(() => { load(null); }, [state]);
  return { rows, next, loading, error, more: () => load(next) };
}

const orgText = (o) => (o ? [o.name, o.code].filter(Boolean).join(' · ') : '');
const signerName = (a) => (a.signer && (a.signer.name || a.signer.subject)) || '';
const docOf = (a) => a.document || {};

function Check({ check, testid }) {
  if (!check) return <span class="muted">—</span>;
  if (check.ok) return <span class="badge badge-ok" data-testid={testid} data-ok="true">{tOr('joining.check_ok', 'OK')}</span>;
  return (
    <span data-testid={testid} data-ok="false" data-code={check.code}>
      <span class="badge badge-failed">{tOr('errors.' + check.code, check.code)}</span>{' '}
      <code class="small">{check.code}</code>
      {check.message && <span class="muted small" lang="en"> {check.message}</span>}
    </span>
  );
}

function Queue({ api, t, query, navigate }) {
  const state = STATES.includes(query.state) ? query.state : 'pending';
  const list = useApplications(api, state);
  return (
    <Page title={t('joining.queue_title')} testid="joining-queue">
      <p class="lead">{t('joining.queue_lead')}</p>
      <div class="form-row">
        <Field as="select" class="narrow" label={t('joining.filter_state')} id="joining-queue-state" value={state}
          onChange={(e) => navigate('/joining-applications', e.currentTarget.value === 'pending' ? undefined : { state: e.currentTarget.value })}
          options={STATES.map((s) => [s, s === 'all' ? t('joining.any_state') : tOr('joining.state.' + s, s)])} data-testid="joining-queue-state" />
      </div>
      {list.loading && !list.rows.length && <Spinner />}
      <ErrorBox error={list.error} />
      {!list.error && !(list.loading && !list.rows.length) && (
        <Table caption={t('joining.queue_caption', { state: state === 'all' ? t('joining.any_state') : tOr('joining.state.' + state, state) })}
          rows={list.rows} rowKey={(a) => a.number} testid="joining-queue-table"
          empty={<Empty title={t('joining.queue_empty')}>{t('joining.queue_empty_hint')}</Empty>}
          columns={[
            { key: 'number', label: t('joining.number'), render: (a) => <a href={'#/joining-applications/' + encodeURIComponent(a.number)} data-testid="joining-queue-number">{a.number}</a> },
            { key: 'filed', label: t('joining.filed'), class: 'nowrap', render: (a) => <Time value={a.filed} /> },
            { key: 'kinds', label: t('joining.kinds'), render: (a) => kindsText(a.kinds) },
            { key: 'org', label: t('joining.organisation'), render: (a) => orgText(a.organisation || docOf(a).organisation) || '—' },
            { key: 'signer', label: t('joining.signer'), render: (a) => signerName(a) || '—' },
            { key: 'state', label: t('joining.state_label'), render: (a) => <StateBadge status={a.state} ns="joining.state." /> },
          ]} />
      )}
      {list.next && <div class="pager"><Button kind="secondary" busy={list.loading} onClick={list.more} data-testid="joining-queue-more">{t('common.more')}</Button></div>}
    </Page>
  );
}

// ---- one application -----------------------------------------------------------------------------

function Content({ a, t }) {
  const doc = docOf(a);
  const org = doc.organisation || a.organisation || {};
  const kinds = a.kinds || doc.kinds || [];
  return (
    <section class="panel" aria-labelledby="ja-content-h" data-testid="joining-detail-content">
      <h2 id="ja-content-h">{t('joining.content')}</h2>
      <dl class="props">
        <dt>{t('joining.kinds')}</dt><dd data-testid="joining-detail-kinds">{kindsText(kinds)}</dd>
        <dt>{t('joining.org_code')}</dt><dd class="mono" data-testid="joining-detail-code">{org.code}</dd>
        {org.name && <><dt>{t('joining.org_name')}</dt><dd data-testid="joining-detail-org">{org.name}</dd></>}
        {org.kind && <><dt>{t('joining.org_kind_label')}</dt><dd>{orgKindText(org.kind)}</dd></>}
        <dt>{t('joining.date')}</dt><dd><Time value={doc.date} seconds /></dd>
        <dt>{t('joining.filed')}</dt><dd><Time value={a.filed} seconds />{a.address && <span class="muted"> · {a.address}</span>}
          {a.filed_by && <span class="muted"> · <code class="small">{a.filed_by}</code></span>}</dd>
      </dl>
      {doc.issuers && doc.issuers.length > 0 && (
        <>
          <h3>{t('joining.issuers')}</h3>
          <ul class="plain-list" data-testid="joining-detail-issuers">
            {doc.issuers.map((b64, i) => <li key={i}><CertLine view={certViewB64(b64)} /></li>)}
          </ul>
        </>
      )}
      {doc.representatives && doc.representatives.length > 0 && (
        <>
          <h3>{t('joining.reps')}</h3>
          <Table rows={doc.representatives} rowKey={(r) => r.tin} testid="joining-detail-reps"
            columns={[
              { key: 'name', label: t('joining.rep_name') },
              { key: 'tin', label: t('joining.rep_tin'), class: 'nowrap', render: (r) => <code>{r.tin}</code> },
              { key: 'role', label: t('joining.rep_role'), render: (r) => roleText(r.role) },
              { key: 'cert', label: t('joining.rep_cert_col'), render: (r) => (r.certificate ? <CertLine view={certViewB64(r.certificate)} /> : <span class="muted">—</span>) },
            ]} />
        </>
      )}
      {doc.block && (
        <>
          <h3>{t('joining.block')}</h3>
          <dl class="props" data-testid="joining-detail-block">
            <dt>{t('joining.block_tin')}</dt><dd><code>{doc.block.tin}</code></dd>
            <dt>{t('joining.block_reason')}</dt><dd>{doc.block.reason}</dd>
          </dl>
        </>
      )}
    </section>
  );
}

// The signer's identifiers once each (a certificate may name one person twice: serialNumber and DRFO).
function uniqueIds(ids) {
  const seen = new Set();
  return (ids || []).filter((i) => { const k = i.kind + '=' + i.value; return !seen.has(k) && seen.add(k); });
}

function Signer({ a, t }) {
  const s = a.signer || {};
  const ids = uniqueIds(s.identifiers);
  return (
    <section class="panel" aria-labelledby="ja-signer-h" data-testid="joining-detail-signer">
      <h2 id="ja-signer-h">{t('joining.signer')}</h2>
      <dl class="props">
        <dt>{t('joining.signer_name')}</dt><dd data-testid="joining-signer-name">{s.name || '—'}</dd>
        {s.title && <><dt>{t('joining.signer_title')}</dt><dd>{s.title}</dd></>}
        <dt>{t('joining.signer_org')}</dt><dd><code data-testid="joining-signer-org">{s.organisation || '—'}</code></dd>
        {ids.length > 0 && (
          <><dt>{t('joining.signer_ids')}</dt><dd>{ids.map((i) => <code key={i.kind + i.value} class="id-chip">{i.value}</code>)}</dd></>
        )}
        <dt>{t('joining.signer_subject')}</dt><dd class="small">{s.subject || '—'}</dd>
        <dt>{t('joining.signer_issuer')}</dt><dd>{s.issuer || '—'}{s.test_issuer && <> <span class="badge badge-pending" data-testid="joining-signer-test">{t('joining.test_issuer')}</span></>}</dd>
        <dt>{t('joining.signer_serial')}</dt><dd><code class="small">{s.serial || '—'}</code></dd>
        {s.sha256 && <><dt>SHA-256</dt><dd><code class="small">{s.sha256}</code></dd></>}
        <dt>{t('joining.signing_time')}</dt><dd><Time value={s.signing_time} seconds /></dd>
      </dl>
      <h3>{t('joining.checks')}</h3>
      <dl class="props">
        <dt>{t('joining.check_filed')}</dt><dd><Check check={a.check || a.check_filed || { ok: true }} testid="joining-check-filed" /></dd>
        <dt>{t('joining.check_now')}</dt><dd><Check check={a.check_now} testid="joining-check-now" /></dd>
      </dl>
    </section>
  );
}

function Outcome({ a, me, t }) {
  const admin = may(me, 'admin');
  const dec = a.decision;
  const hasOutcome = a.participant !== undefined && a.participant !== null;
  if (!dec && !hasOutcome && !a.representatives && !a.blocked_representative) return null;
  const repHref = (r) => (admin && hasOutcome ? `#/admin?p=${a.participant}&r=${r.id}` : null);
  return (
    <section class="panel" aria-labelledby="ja-outcome-h" data-testid="joining-detail-outcome">
      <h2 id="ja-outcome-h">{t('joining.outcome')}</h2>
      <dl class="props">
        {dec && <><dt>{t('joining.decided')}</dt><dd><Time value={dec.at} seconds />{dec.by ? <span class="muted"> · {dec.by}</span> : ''}</dd></>}
        {dec && dec.reason && <><dt>{t('joining.reason')}</dt><dd data-testid="joining-detail-reason">{dec.reason}</dd></>}
        {hasOutcome && (
          <><dt>{t('joining.participant')}</dt><dd>{admin
            ? <a href={`#/admin?p=${a.participant}`} data-testid="joining-detail-participant">{t('joining.participant_link', { id: a.participant })}</a>
            : <span data-testid="joining-detail-participant">#{a.participant}</span>}</dd></>
        )}
        {a.blocked_representative !== undefined && a.blocked_representative !== null && (
          <><dt>{t('joining.blocked_rep')}</dt><dd>#{a.blocked_representative}</dd></>
        )}
      </dl>
      {a.representatives && a.representatives.length > 0 && (
        <Table caption={t('joining.reps_created')} rows={a.representatives} rowKey={(r) => r.id} testid="joining-detail-created"
          columns={[
            { key: 'name', label: t('joining.rep_name'), render: (r) => (repHref(r) ? <a href={repHref(r)}>{r.name}</a> : r.name) },
            { key: 'tin', label: t('joining.rep_tin'), class: 'nowrap', render: (r) => <code>{r.tin}</code> },
            { key: 'role', label: t('joining.rep_role'), render: (r) => roleText(r.role) },
            { key: 'id', label: t('joining.rep_id'), render: (r) => '#' + r.id },
            { key: 'creds', label: t('joining.credentials'), render: (r) => (r.credentials || []).map((c) => '#' + c).join(', ') || '—' },
          ]} />
      )}
    </section>
  );
}

function Application({ me, api, t, params }) {
  const path = BASE + '/' + encodeURIComponent(params.number);
  const res = useAsync(() => api.get(path), [path]);
  const [dlg, setDlg] = useState(null);   // 'approve' | 'reject'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const a = res.data && (res.data.application || res.data);
  const decide = may(me, 'admin') && a && a.state === 'pending';
  const decision = async (d, reason) => {
    setBusy(true); setError(null);
    try {
      const r = await api.post(path + '/decision', d === 'reject' ? { decision: d, reason } : { decision: d });
      setDlg(null);
      setMsg(t('joining.decided_' + d));
      // The decision's answer is the record without check_now: read it whole again.
      if (r && r.number) res.setData((x) => ({ ...r, check_now: x && x.check_now }));
      res.reload();
    } catch (e) { setError(e); }
    setBusy(false);
  };
  return (
    <Page title={t('joining.application_title', { number: params.number })} testid="joining-application"
      actions={<>
        {a && <a class="btn btn-secondary" href={path + '/signed'} download={params.number + '.p7s'} data-testid="joining-signed">{t('joining.download_signed')}</a>}
        <a class="btn btn-secondary" href="#/joining-applications">{t('joining.back')}</a>
      </>}>
      {res.loading && !res.data && <Spinner />}
      <ErrorBox error={res.error} />
      {msg && <Notice kind="ok"><span data-testid="joining-decided">{msg}</span></Notice>}
      {a && (
        <>
          <p class="status-big">{t('joining.state_label')}: <StateBadge status={a.state} ns="joining.state." testid="joining-detail-state" /></p>
          {decide && (
            <div class="form-actions joining-decide">
              <Button onClick={() => { setError(null); setDlg('approve'); }} data-testid="joining-approve">{t('joining.approve')}</Button>
              <Button kind="danger" onClick={() => { setError(null); setDlg('reject'); }} data-testid="joining-reject">{t('joining.reject')}</Button>
            </div>
          )}
          {!dlg && error && <div data-testid="joining-decision-error"><ErrorBox error={error} title={t('joining.decision_refused')} /></div>}
          <Outcome a={a} me={me} t={t} />
          <Content a={a} t={t} />
          <Signer a={a} t={t} />
        </>
      )}
      <Confirm open={dlg === 'approve'} title={t('joining.approve_title', { number: params.number })} message={t('joining.approve_text')} busy={busy}
        confirmLabel={t('joining.approve')} onCancel={() => setDlg(null)} onConfirm={() => decision('approve')}>
        <ErrorBox error={dlg === 'approve' ? error : null} />
      </Confirm>
      <ReasonDialog open={dlg === 'reject'} title={t('joining.reject_title', { number: params.number })} message={t('joining.reject_text')}
        confirmLabel={t('joining.reject')} busy={busy} error={dlg === 'reject' ? error : null}
        onCancel={() => setDlg(null)} onConfirm={(reason) => decision('reject', reason)} />
    </Page>
  );
}

export const joiningQueueScreens = [
  { id: 'joining_queue', route: '/joining-applications', nav: 'nav.joining_queue', public: false, visible: centralBody, Component: Queue },
  { id: 'joining_application', route: '/joining-applications/:number', nav: null, public: false, visible: centralBody, Component: Application },
];
