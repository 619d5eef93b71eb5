// screens/testbed/issue.jsx — issue a test certificate: CA, profile, scenario, identity (a
// deterministic one or typed), subject, key (generated or a CSR), days. The answer shows the
// certificate's identifiers, downloads for the certificate and chain, and the generated private
// key ONCE as a download (it is kept nowhere: neither by the server nor by this page).
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { download } from '../../lib/csv.js';
import { t, tOr } from '../../lib/i18n.js';
import { Button, Field, ErrorBox, Notice, Progress, Time, useAsync } from '../../components/index.js';
import { useAction, localHref } from '../admin/kit.jsx';

const PROFILES = ['ua-qes-natural', 'ua-qes-representative', 'ua-qseal'];
const SCENARIOS = ['valid', 'revoked', 'on_hold', 'expired', 'not_yet_valid', 'wrong_key_usage', 'no_qcstatements', 'duplicate_key', 'untrusted_issuer'];
const scenarioLabel = (s) => tOr('testbed.scenario_v.' + s, s);

async function pemSha256(pem) {
  try {
    const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const bin = atob(b64);
    const der = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
    return Array.from(h, (x) => x.toString(16).padStart(2, '0')).join('');
  } catch { return ''; }
}

export function Issue({ cas }) {
  const ids = useAsync(() => api.get('/api/v1/testca/identities'), []);
  const [f, setF] = useState({ ca: (cas[0] && cas[0].name) || '', profile: PROFILES[0], scenario: 'valid', identity: '',
    rnokpp: '', edrpou: '', unzr: '', cn: '', given: '', sn: '', o: '', l: '', key: 'ec-p256', csr: '', days: '' });
  const [run, busy, error] = useAction();
  const [out, setOut] = useState(null);
  const [keyTaken, setKeyTaken] = useState(false);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const pickIdentity = (e) => {
    const v = e.currentTarget.value;
    const idn = ids.data && (ids.data.identities || []).find((i) => i.rnokpp === v);
    setF({ ...f, identity: v, rnokpp: v || f.rnokpp, scenario: idn ? idn.scenario : f.scenario });
  };
  const submit = (e) => {
    e.preventDefault();
    setOut(null); setKeyTaken(false);
    run(async () => {
      const body = { ca: f.ca, profile: f.profile, scenario: f.scenario };
      const idsBody = {};
      for (const k of ['rnokpp', 'edrpou', 'unzr']) if (f[k].trim()) idsBody[k] = f[k].trim();
      if (Object.keys(idsBody).length) body.ids = idsBody;
      const subject = {};
      for (const k of ['cn', 'given', 'sn', 'o', 'l']) if (f[k].trim()) subject[k] = f[k].trim();
      if (Object.keys(subject).length) body.subject = subject;
      body.key = f.key === 'csr' ? { csr: f.csr.trim() } : { generate: f.key };
      if (f.days) body.days = Number(f.days);
      const r = await api.post('/api/v1/testca/certificates', body);
      const sha256 = r.certificate ? await pemSha256(r.certificate) : '';
      const key = r.private_key || null;
      delete r.private_key;
      setOut({ ...r, sha256, key, tin: idsBody.rnokpp ? 'TINUA-' + idsBody.rnokpp : '', ntr: idsBody.edrpou ? 'NTRUA-' + idsBody.edrpou : '', cn: subject.cn || '' });
    });
  };
  const takeKey = () => {
    download(`test-${out.serial}.key.pem`, out.key, 'application/x-pem-file');
    setKeyTaken(true);
    setOut({ ...out, key: null });
  };
  const identities = (ids.data && ids.data.identities) || [];
  return (
    <div>
      <p class="lead">{t('testbed.issue_lead')}</p>
      <form class="panel" onSubmit={submit} aria-labelledby="issue-title">
        <h2 id="issue-title">{t('testbed.issue_title')}</h2>
        <div class="form-row">
          <Field label={t('testbed.ca')} as="select" value={f.ca} onChange={set('ca')} options={cas.map((c) => [c.name, `${c.name} (${c.algorithm})`])} />
          <Field label={t('testbed.profile')} as="select" value={f.profile} onChange={set('profile')} options={PROFILES.map((p) => [p, tOr('testbed.profile_v.' + p, p)])} />
          <Field label={t('testbed.scenario')} as="select" value={f.scenario} onChange={set('scenario')} options={SCENARIOS.map((s) => [s, scenarioLabel(s)])} />
        </div>
        <fieldset>
          <legend>{t('testbed.identity')}</legend>
          <Field label={t('testbed.deterministic')} hint={t('testbed.deterministic_hint')} as="select" value={f.identity} onChange={pickIdentity}
            options={[['', t('testbed.own_identity')], ...identities.map((i) => [i.rnokpp, `${i.tin} — ${scenarioLabel(i.scenario)}`])]} />
          <div class="form-row">
            <Field label={t('testbed.rnokpp')} value={f.rnokpp} onInput={set('rnokpp')} inputMode="numeric" />
            <Field label={t('testbed.edrpou')} value={f.edrpou} onInput={set('edrpou')} inputMode="numeric" />
            <Field label={t('testbed.unzr')} value={f.unzr} onInput={set('unzr')} />
          </div>
          <div class="form-row">
            <Field label={t('testbed.cn')} value={f.cn} onInput={set('cn')} />
            <Field label={t('testbed.given')} value={f.given} onInput={set('given')} />
            <Field label={t('testbed.sn')} value={f.sn} onInput={set('sn')} />
            <Field label={t('testbed.o')} value={f.o} onInput={set('o')} />
            <Field label={t('testbed.l')} value={f.l} onInput={set('l')} />
          </div>
        </fieldset>
        <div class="form-row">
          <Field label={t('testbed.key')} as="select" value={f.key} onChange={set('key')}
            options={[['ec-p256', t('testbed.key_ec')], ['rsa-2048', t('testbed.key_rsa')], ['csr', t('testbed.key_csr')]]} />
          <Field label={t('testbed.days')} type="number" min="1" max="3650" value={f.days} onInput={set('days')} hint={t('testbed.days_hint')} />
        </div>
        {f.key === 'csr' && <Field label={t('testbed.csr')} as="textarea" value={f.csr} onInput={set('csr')} placeholder="-----BEGIN CERTIFICATE REQUEST-----" required />}
        <ErrorBox error={error} />
        <div class="form-actions"><Button type="submit" busy={busy} data-testid="testbed-issue">{t('testbed.issue')}</Button></div>
        {busy && <Progress label={t('testbed.issuing')} />}
      </form>
      {out && (
        <section class="panel" aria-labelledby="issued-title" data-testid="testbed-issued">
          <h2 id="issued-title">{t('testbed.issued_title')}</h2>
          {out.stored === false && <Notice kind="warn">{t('testbed.not_stored')}</Notice>}
          <dl class="props">
            {out.cn && <><dt>{t('testbed.cn')}</dt><dd>{out.cn}</dd></>}
            {out.tin && <><dt>{t('testbed.tin')}</dt><dd class="mono">{out.tin}</dd></>}
            {out.ntr && <><dt>{t('testbed.edrpou')}</dt><dd class="mono">{out.ntr}</dd></>}
            <dt>{t('testbed.ca')}</dt><dd class="mono">{out.ca || f.ca}</dd>
            <dt>{t('testbed.serial')}</dt><dd class="mono">{out.serial}</dd>
            {out.sha256 && <><dt>SHA-256</dt><dd>{out.stored !== false ? <a class="mono" href={`#/certificates/${out.sha256}`}>{out.sha256}</a> : <span class="mono">{out.sha256}</span>}</dd></>}
            <dt>{t('testbed.scenario')}</dt><dd>{scenarioLabel(out.scenario)}</dd>
            <dt>{t('testbed.validity')}</dt><dd><Time value={out.not_before} /> — <Time value={out.not_after} /></dd>
            <dt>OCSP</dt><dd class="mono">{out.ocsp_url}</dd>
            <dt>CRL</dt><dd><a href={localHref(out.crl_url)}>{out.crl_url}</a></dd>
            {out.revocation && <><dt>{t('testbed.revocation')}</dt><dd class="mono">{JSON.stringify(out.revocation)}</dd></>}
            {out.duplicate_of && <><dt>{t('testbed.duplicate_of')}</dt><dd class="mono">{out.duplicate_of.serial}</dd></>}
          </dl>
          <div class="form-actions">
            <Button kind="secondary" onClick={() => download(`test-${out.serial}.pem`, out.certificate, 'application/x-pem-file')}>{t('testbed.download_cert')}</Button>
            {out.chain && out.chain.length > 0 && <Button kind="secondary" onClick={() => download(`test-${out.serial}.chain.pem`, out.chain.join(''), 'application/x-pem-file')}>{t('testbed.download_chain')}</Button>}
          </div>
          {out.key && (
            <div class="key-once" role="alert" data-testid="testbed-key">
              <p><strong>{t('testbed.key_once_title')}</strong> {t('testbed.key_once')}</p>
              <Button onClick={takeKey} data-testid="testbed-key-download">{t('testbed.download_key')}</Button>
            </div>
          )}
          {keyTaken && <Notice>{t('testbed.key_taken')}</Notice>}
        </section>
      )}
    </div>
  );
}
