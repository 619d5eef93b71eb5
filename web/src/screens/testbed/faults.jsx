// screens/testbed/faults.jsx — fault injection on test issuers: the faults in force, putting a
// new one in force (a whole issuer: central-body administrators; one serial: also who asked for
// that certificate), ending one early.
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t, tOr } from '../../lib/i18n.js';
import { Button, Field, Table, Empty, ErrorBox, Notice, Spinner, Time, useAsync } from '../../components/index.js';
import { may, useAction } from '../admin/kit.jsx';

const FAULTS = {
  ocsp: ['unsigned', 'wrong_signer', 'wrong_certid', 'stale_next_update', 'future_this_update', 'nonce_missing', 'nonce_wrong',
    'try_later', 'internal_error', 'unauthorized', 'truncated', 'delay'],
  crl: ['expired_next_update', 'bad_signature'],
  tsa: ['wrong_imprint', 'time_skew', 'no_ess_cert_id_v2', 'untrusted_tsa'],
};
const faultLabel = (x) => tOr('testbed.fault_v.' + x, x);

export function Faults({ me, cas }) {
  const canWrite = may(me, 'write');
  const wholeIssuer = may(me, 'admin');
  const list = useAsync(() => api.get('/api/v1/testca/faults'), []);
  const [f, setF] = useState({ target: 'ocsp', issuer: (cas[0] && cas[0].name) || '', serial: '', fault: 'wrong_certid', count: '1', seconds: '', ms: '1000', skew: '3600' });
  const [run, busy, error] = useAction();
  const [msg, setMsg] = useState('');
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const setTarget = (e) => { const target = e.currentTarget.value; setF({ ...f, target, fault: FAULTS[target][0] }); };
  const add = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { target: f.target, fault: f.fault };
      if (f.target !== 'tsa' || f.issuer) body.issuer = f.issuer;
      if (f.target === 'ocsp' && f.serial.trim()) body.serial = f.serial.trim();
      if (f.count) body.count = Number(f.count);
      if (f.seconds) body.seconds = Number(f.seconds);
      if (f.fault === 'delay') body.ms = Number(f.ms);
      if (f.fault === 'time_skew') body.skew_seconds = Number(f.skew);
      const r = await api.put('/api/v1/testca/faults', body);
      setMsg(t('testbed.fault_added', { id: r.id }));
      list.reload();
    });
  };
  const remove = (id) => run(async () => { await api.del('/api/v1/testca/faults/' + id); setMsg(t('testbed.fault_removed', { id })); list.reload(); });
  return (
    <div>
      <p class="lead">{t('testbed.faults_lead')}</p>
      {canWrite && <form class="panel" onSubmit={add} aria-labelledby="fault-title">
        <h2 id="fault-title">{t('testbed.fault_new')}</h2>
        <div class="form-row">
          <Field label={t('testbed.target')} as="select" value={f.target} onChange={setTarget} options={Object.keys(FAULTS).map((x) => [x, x.toUpperCase()])} />
          <Field label={t('testbed.issuer')} as="select" value={f.issuer} onChange={set('issuer')} options={cas.map((c) => [c.name, c.name])} />
          {f.target === 'ocsp' && <Field label={wholeIssuer ? t('testbed.serial_opt') : t('testbed.serial_req')} hint={wholeIssuer ? t('testbed.serial_hint') : t('testbed.serial_own_hint')} value={f.serial} onInput={set('serial')} required={!wholeIssuer} />}
          <Field label={t('testbed.fault')} as="select" value={f.fault} onChange={set('fault')} options={FAULTS[f.target].map((x) => [x, faultLabel(x)])} />
        </div>
        <div class="form-row">
          <Field label={t('testbed.count')} hint={t('testbed.count_hint')} type="number" min="1" value={f.count} onInput={set('count')} />
          <Field label={t('testbed.seconds')} hint={t('testbed.seconds_hint')} type="number" min="1" max="86400" value={f.seconds} onInput={set('seconds')} />
          {f.fault === 'delay' && <Field label={t('testbed.ms')} type="number" min="1" max="30000" value={f.ms} onInput={set('ms')} />}
          {f.fault === 'time_skew' && <Field label={t('testbed.skew')} type="number" min="-86400" max="86400" value={f.skew} onInput={set('skew')} />}
        </div>
        <ErrorBox error={error} />
        {msg && <Notice>{msg}</Notice>}
        <div class="form-actions"><Button type="submit" busy={busy} data-testid="fault-add">{t('testbed.fault_add')}</Button></div>
      </form>}
      {!canWrite && <ErrorBox error={error} />}
      <h2>{t('testbed.faults')}</h2>
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table testid="testbed-faults" rows={list.data.faults || []} rowKey={(x) => x.id}
          empty={<Empty title={t('testbed.no_faults')}>{t('testbed.no_faults_hint')}</Empty>}
          columns={[
            { key: 'id', label: '№', render: (x) => '#' + x.id },
            { key: 'target', label: t('testbed.target'), render: (x) => String(x.target).toUpperCase() },
            { key: 'issuer', label: t('testbed.issuer'), render: (x) => <span class="mono">{x.issuer}{x.serial && <> / {x.serial}</>}</span> },
            { key: 'fault', label: t('testbed.fault'), render: (x) => <span>{faultLabel(x.fault)}{x.ms ? ` (${x.ms} ms)` : ''}{x.skew_seconds ? ` (${x.skew_seconds} s)` : ''}</span> },
            { key: 'used', label: t('testbed.used'), class: 'num', render: (x) => (x.count ? `${x.used || 0} / ${x.count}` : String(x.used || 0)) },
            { key: 'expires', label: t('testbed.expires'), render: (x) => <Time value={x.expires} /> },
            { key: 'act', label: t('common.actions'), render: (x) => canWrite && <Button kind="danger" onClick={() => remove(x.id)} disabled={busy} aria-label={t('testbed.fault_remove_n', { id: x.id })}>{t('testbed.fault_remove')}</Button> },
          ]} />
      )}
    </div>
  );
}
