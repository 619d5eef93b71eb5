// screens/testbed/cases.jsx — test cases: the list with filters (kind, polarity, state, tag),
// one case (inputs with downloads, parameters, expected verdict, submissions), and submitting a
// product's observed verdict (with registering a product under test when there is none).
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { t, tOr } from '../../lib/i18n.js';
import { fmtBytes, shortHex } from '../../lib/format.js';
import { Button, Field, Table, Empty, ErrorBox, Notice, Spinner, Time, useAsync } from '../../components/index.js';
import { may, useAction, StateBadge, readFileBytes } from '../admin/kit.jsx';

const KINDS = ['certificate', 'csr', 'ocsp_response', 'crl', 'tsl', 'tsp_response', 'cades', 'xades', 'pades', 'asic', 'jades', 'login_flow', 'protocol_exchange'];
const STATES = ['draft', 'proposed', 'accepted', 'disputed', 'deprecated'];
const MAIN = ['total-passed', 'total-failed', 'indeterminate'];
const MAIN_PREFIX = 'urn:etsi:019102:mainindication:';
const SUB_PREFIX = 'urn:etsi:019102:subindication:';
// A refusal of these reads shows in place; whether the session still stands is the session
// stream's to say (it ends the session itself when the server ends it).
const LENIENT = { noSessionEnd: true };
const PROTOCOL = (k) => k === 'login_flow' || k === 'protocol_exchange';

const tail = (u) => (u ? String(u).split(':').pop() : '');
export const verdictText = (v) => {
  if (!v) return '—';
  const parts = [];
  if (v.main) parts.push(tOr('testbed.main_v.' + tail(v.main), tail(v.main)));
  if (v.sub) parts.push(tail(v.sub));
  if (v.http_status) parts.push('HTTP ' + v.http_status);
  if (v.ocsp_cert_status) parts.push('OCSP ' + v.ocsp_cert_status);
  if (v.error_code) parts.push(v.error_code);
  return parts.join(' · ') || '—';
};

export function Cases({ me, selected, open }) {
  const [f, setF] = useState({ kind: '', polarity: '', state: '', tag: '' });
  const [after, setAfter] = useState([]);
  const list = useAsync(() => api.get('/api/v1/testbed/cases', { ...f, limit: 100, after: after[after.length - 1] }), [JSON.stringify(f), after.join()]);
  const set = (k) => (e) => { setAfter([]); setF({ ...f, [k]: e.currentTarget.value }); };
  return (
    <div>
      <p class="lead">{t('testbed.cases_lead')}</p>
      {selected && <CaseDetail key={selected} id={selected} me={me} />}
      <div class="panel form-row" role="group" aria-label={t('testbed.filters')}>
        <Field label={t('testbed.kind')} as="select" value={f.kind} onChange={set('kind')} options={[['', t('common.all')], ...KINDS.map((k) => [k, k])]} />
        <Field label={t('testbed.polarity')} as="select" value={f.polarity} onChange={set('polarity')}
          options={[['', t('common.all')], ['positive', t('testbed.positive')], ['negative', t('testbed.negative')]]} />
        <Field label={t('testbed.state')} as="select" value={f.state} onChange={set('state')} options={[['', t('common.all')], ...STATES.map((s) => [s, tOr('testbed.state_v.' + s, s)])]} />
        <Field label={t('testbed.tag')} value={f.tag} onChange={set('tag')} />
      </div>
      <h2>{t('testbed.cases')}</h2>
      {list.loading && !list.data && <Spinner />}
      <ErrorBox error={list.error} />
      {list.data && (
        <Table testid="testbed-cases" rows={list.data.cases || []} rowKey={(c) => c.id} onRow={(c) => open(c.id)}
          empty={<Empty title={t('testbed.no_cases')}>{t('testbed.no_cases_hint')}</Empty>}
          columns={[
            { key: 'id', label: '№', render: (c) => <a href={`#/testbed?tab=cases&case=${c.id}`}>№ {c.id}</a> },
            { key: 'title', label: t('testbed.case_title'), render: (c) => c.title },
            { key: 'kind', label: t('testbed.kind'), render: (c) => <code class="mono">{c.kind}</code> },
            { key: 'polarity', label: t('testbed.polarity'), render: (c) => t('testbed.' + c.polarity) },
            { key: 'expected', label: t('testbed.expected'), render: (c) => verdictText(c.expected) },
            { key: 'state', label: t('testbed.state'), render: (c) => <StateBadge status={c.state} ns="testbed.state_v." /> },
          ]} />
      )}
      <div class="pager">
        {after.length > 0 && <Button kind="secondary" onClick={() => setAfter(after.slice(0, -1))}>{t('common.prev')}</Button>}
        {list.data && list.data.next && <Button kind="secondary" onClick={() => setAfter([...after, list.data.next])}>{t('common.next')}</Button>}
      </div>
    </div>
  );
}

function CaseDetail({ id, me }) {
  const one = useAsync(() => api.get('/api/v1/testbed/cases/' + encodeURIComponent(id)), [id]);
  const subs = useAsync(() => (me ? Promise.all([api.get('/api/v1/testbed/submissions', { case: id, limit: 100 }, LENIENT), api.get('/api/v1/testbed/products', { limit: 500 }, LENIENT).catch(() => ({ products: [] }))])
    .then(([s, p]) => ({ ...s, products: Object.fromEntries((p.products || []).map((x) => [x.id, x])) })) : Promise.resolve(null)), [id, !!me]);
  const c = one.data;
  if (one.loading && !c) return <Spinner />;
  if (one.error) return <ErrorBox error={one.error} />;
  if (!c) return null;
  const p = c.params || {};
  return (
    <section class="panel" aria-labelledby="case-title" data-testid="testbed-case">
      <h2 id="case-title">{t('testbed.case_n', { id: c.id })}: {c.title} <StateBadge status={c.state} ns="testbed.state_v." /></h2>
      <dl class="props">
        <dt>{t('testbed.kind')}</dt><dd><code class="mono">{c.kind}</code> · {t('testbed.' + c.polarity)}</dd>
        <dt>{t('testbed.version')}</dt><dd>{c.version}{c.latest_version && c.latest_version !== c.version ? ` / ${c.latest_version}` : ''}</dd>
        <dt>{t('testbed.expected')}</dt><dd>{verdictText(c.expected)}</dd>
        <dt>{t('testbed.trust_anchor')}</dt><dd class="mono">{p.trust_anchor}</dd>
        {p.validation_time && <><dt>{t('testbed.validation_time')}</dt><dd><Time value={p.validation_time} /></dd></>}
        {p.policy_oid && <><dt>{t('testbed.policy')}</dt><dd class="mono">{p.policy_oid}</dd></>}
        {c.refs && c.refs.length > 0 && <><dt>{t('testbed.refs')}</dt><dd>{c.refs.join('; ')}</dd></>}
        {c.tags && c.tags.length > 0 && <><dt>{t('testbed.tags')}</dt><dd>{c.tags.join(', ')}</dd></>}
        <dt>{t('testbed.inputs')}</dt>
        <dd>{(c.inputs || []).map((i) => (
          <div key={i.sha256 + i.role}><a href={`/api/v1/testbed/blobs/${i.sha256}`} download={`${c.id}-${i.role}`}>{i.role}</a> <small class="muted">{i.media_type}{i.size ? ', ' + fmtBytes(i.size) : ''} · <span class="mono">{shortHex(i.sha256, 16)}</span></small></div>
        ))}</dd>
      </dl>
      {me && subs.data && (
        <>
          <h3>{t('testbed.submissions')}</h3>
          <Table rows={subs.data.submissions || []} rowKey={(s) => s.id} empty={<p class="muted">{t('testbed.no_submissions')}</p>}
            columns={[
              { key: 'product', label: t('testbed.product'), render: (s) => { const p = subs.data.products[s.product]; return p ? `${p.vendor} ${p.name} ${p.version}` : '#' + s.product; } },
              { key: 'version', label: t('testbed.version'), render: (s) => s.case_version },
              { key: 'observed', label: t('testbed.observed'), render: (s) => verdictText(s.observed) },
              { key: 'agrees', label: t('testbed.agrees'), render: (s) => <StateBadge status={s.agrees ? 'agree' : 'disagree'} ns="testbed.agree_v." /> },
              { key: 'submitted', label: t('testbed.submitted'), render: (s) => <Time value={s.submitted} /> },
            ]} />
        </>
      )}
      {may(me, 'write') && me.kind !== 'system_owner' && (c.state === 'proposed' || c.state === 'accepted' || c.state === 'disputed') &&
        <SubmitResult c={c} onDone={() => { subs.reload(); one.reload(); }} />}
    </section>
  );
}

function SubmitResult({ c, onDone }) {
  const products = useAsync(() => api.get('/api/v1/testbed/products', { limit: 500 }, LENIENT), []);
  const [f, setF] = useState({ product: '', main: 'total-passed', sub: '', http: '', ocsp: '', code: '' });
  const [np, setNp] = useState({ vendor: '', name: '', version: '' });
  const [report, setReport] = useState(null);
  const [run, busy, error] = useAction();
  const [res, setRes] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const list = (products.data && products.data.products) || [];
  const product = f.product || (list[0] && String(list[0].id)) || '';
  const addProduct = (e) => {
    e.preventDefault();
    run(async () => { const p = await api.post('/api/v1/testbed/products', np); setNp({ vendor: '', name: '', version: '' }); products.reload(); setF({ ...f, product: String(p.id) }); });
  };
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const observed = {};
      if (f.main) observed.main = MAIN_PREFIX + f.main;
      if (f.sub.trim()) observed.sub = f.sub.includes(':') ? f.sub.trim() : SUB_PREFIX + f.sub.trim();
      if (PROTOCOL(c.kind)) {
        if (f.http) observed.http_status = Number(f.http);
        if (f.ocsp) observed.ocsp_cert_status = f.ocsp;
        if (f.code.trim()) observed.error_code = f.code.trim();
        if (!f.main) delete observed.main;
      }
      const body = { product: Number(product), case: c.id, version: c.version, observed };
      if (report) {
        const buf = new Uint8Array(await readFileBytes(report));
        let s = '';
        for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
        body.report = btoa(s);
      }
      setRes(await api.post('/api/v1/testbed/submissions', body));
      onDone();
    });
  };
  return (
    <div>
      <h3>{t('testbed.submit_title')}</h3>
      {products.data && list.length === 0 && (
        <form onSubmit={addProduct} aria-label={t('testbed.new_product')}>
          <p class="muted">{t('testbed.no_products')}</p>
          <div class="form-row">
            <Field label={t('testbed.vendor')} value={np.vendor} onInput={(e) => setNp({ ...np, vendor: e.currentTarget.value })} required />
            <Field label={t('testbed.product_name')} value={np.name} onInput={(e) => setNp({ ...np, name: e.currentTarget.value })} required />
            <Field label={t('testbed.product_version')} value={np.version} onInput={(e) => setNp({ ...np, version: e.currentTarget.value })} required />
            <div class="field-btn"><Button type="submit" kind="secondary" busy={busy}>{t('testbed.new_product')}</Button></div>
          </div>
        </form>
      )}
      {list.length > 0 && (
        <form onSubmit={submit} aria-label={t('testbed.submit_title')}>
          <div class="form-row">
            <Field label={t('testbed.product')} as="select" value={product} onChange={set('product')} options={list.map((p) => [String(p.id), `${p.vendor} ${p.name} ${p.version}`])} />
            <Field label={t('testbed.main')} as="select" value={f.main} onChange={set('main')}
              options={[...(PROTOCOL(c.kind) ? [['', '—']] : []), ...MAIN.map((m) => [m, tOr('testbed.main_v.' + m, m)])]} />
            <Field label={t('testbed.sub')} hint={t('testbed.sub_hint')} value={f.sub} onInput={set('sub')} />
          </div>
          {PROTOCOL(c.kind) && (
            <div class="form-row">
              <Field label={t('testbed.http_status')} type="number" value={f.http} onInput={set('http')} />
              <Field label={t('testbed.ocsp_status')} as="select" value={f.ocsp} onChange={set('ocsp')} options={[['', '—'], ['good', 'good'], ['revoked', 'revoked'], ['unknown', 'unknown']]} />
              <Field label={t('testbed.error_code')} value={f.code} onInput={set('code')} />
            </div>
          )}
          <Field label={t('testbed.report')} hint={t('testbed.report_hint')} type="file" onChange={(e) => setReport(e.currentTarget.files[0] || null)} />
          <div class="form-actions"><Button type="submit" busy={busy} data-testid="testbed-submit">{t('testbed.submit')}</Button></div>
        </form>
      )}
      <ErrorBox error={error} />
      {res && <Notice kind={res.agrees ? 'ok' : 'warn'}>{res.agrees ? t('testbed.submitted_agrees') : t('testbed.submitted_disagrees')}{res.disputed ? ' ' + t('testbed.now_disputed') : ''}</Notice>}
    </div>
  );
}
