// screens/certificate.jsx — one certificate (GET /api/v1/certificates/{sha256}): the parsed fields
// (from its DER, not PEM), the status and its history, certificates sharing its key (search by
// spki_sha256), the DER download, and for users who may write, Revoke / Hold / Release
// (POST /api/v1/revocations) with the result shown here without a reload.
import { isHolder } from '../lib/session.js';
import { useEffect, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { parseCertificate, b64ToBytes, sha256Hex } from '../lib/x509.js';
import { holderName, displayStatus } from '../lib/cert.js';
import { download } from '../lib/csv.js';
import { Ids } from './certificates.jsx';
import { Page, Field, Button, Table, ErrorBox, Spinner, Empty, Notice, StatusBadge, Time, Confirm, useAsync } from '../components/index.js';

const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'];

function History({ c, t }) {
  // Issuance (not_before), then the server's status history (GET …/certificates/{sha256} "history",
  // oldest first): holds are certificate.revoked with reason certificateHold.
  const items = [{ key: 'issued', time: c.not_before, what: t('certificate.h_valid_from') }];
  // A server without "history" (older than this screen): the current revocation only.
  const hist = c.history || (c.revocation ? [{ seq: 0, type: 'certificate.revoked', time: c.revocation.time, reason: c.revocation.reason }] : []);
  for (const h of hist) {
    let what;
    if (h.type === 'certificate.released') what = t('certificate.h_released');
    else if (h.reason === 'certificateHold') what = t('certificate.h_held');
    else what = t('certificate.h_revoked', { reason: tOr('common.reason.' + h.reason, h.reason || '') });
    items.push({ key: 'e' + h.seq, time: h.time, what, actor: h.actor, seq: h.seq,
      effective: h.revocation_time && h.revocation_time !== h.time ? h.revocation_time : null });
  }
  return (
    <ol class="history" data-testid="cert-history">
      {items.map((h) => (
        <li key={h.key} data-seq={h.seq}>
          <Time value={h.time} seconds /> — {h.what}
          {h.effective && <> ({t('certificate.h_effective')} <Time value={h.effective} seconds />)</>}
          {h.actor && <span class="muted"> · {t('certificate.h_actor', { actor: h.actor })}</span>}
        </li>
      ))}
    </ol>
  );
}

function KeyReuse({ spkiHex, self, api, t }) {
  const r = useAsync(() => spkiHex ? api.get('/api/v1/certificates', { spki_sha256: spkiHex.toUpperCase(), limit: 100 }) : Promise.resolve(null), [spkiHex]);
  if (!spkiHex) return <p class="muted">{t('certificate.reuse_unavailable')}</p>;
  if (r.loading) return <Spinner />;
  if (r.error) return <ErrorBox error={r.error} />;
  const others = (r.data.certificates || []).filter((c) => c.sha256 !== self);
  if (!others.length) return <p>{t('certificate.reuse_none')}</p>;
  return (
    <>
      <Notice kind="warn">{t('certificate.reuse_found', { n: others.length })}</Notice>
      <ul>{others.map((c) => (
        <li key={c.sha256}><a href={'#/certificates/' + c.sha256}>{holderName(c)}</a> — {c.issuer}, <StatusBadge status={displayStatus(c)} /> <span class="muted"><Time value={c.not_before} /></span></li>
      ))}</ul>
    </>
  );
}

function Actions({ c, api, t, onDone }) {
  const [dlg, setDlg] = useState(null); // 'revoke' | 'hold' | 'release'
  const [reason, setReason] = useState('unspecified');
  const [invalidity, setInvalidity] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const st = displayStatus(c);
  const open = (k) => { setDlg(k); setError(null); setResult(null); setReason('unspecified'); setInvalidity(''); };

  const submit = async () => {
    setBusy(true); setError(null);
    const body = { issuer: c.issuer, serial: c.serial };
    if (dlg === 'release') body.release = true;
    else if (dlg === 'hold') body.reason = 'certificateHold';
    else {
      body.reason = reason;
      if (invalidity) body.invalidity_date = new Date(invalidity).toISOString().replace('.000', '');
    }
    try {
      const r = await api.post('/api/v1/revocations', body);
      const item = (r.results && r.results[0]) || {};
      if (item.status === 'refused') {
        setError(item.error || { message: t('certificate.refused') });
      } else {
        setResult({ kind: dlg, status: item.status });
        setDlg(null);
        await onDone();
      }
    } catch (e) { setError(e); }
    setBusy(false);
  };

  return (
    <section class="panel" aria-labelledby="actions-h">
      <h2 id="actions-h">{t('certificate.actions')}</h2>
      {result && <Notice kind="ok">{t('certificate.done_' + result.kind)}{result.status === 'unchanged' ? ' ' + t('certificate.unchanged') : ''}</Notice>}
      {!dlg && error && <ErrorBox error={error} />}
      <div class="form-actions">
        {(st === 'valid' || st === 'on_hold' || st === 'not_yet_valid') && (
          <Button kind="danger" data-testid="revoke-button" onClick={() => open('revoke')}>{t('certificate.revoke')}</Button>
        )}
        {(st === 'valid' || st === 'not_yet_valid') && <Button kind="secondary" onClick={() => open('hold')}>{t('certificate.hold')}</Button>}
        {st === 'on_hold' && <Button kind="secondary" onClick={() => open('release')}>{t('certificate.release')}</Button>}
        {(st === 'revoked' || st === 'expired') && <p class="muted">{t('certificate.no_actions')}</p>}
      </div>
      <Confirm open={!!dlg} title={dlg ? t('certificate.confirm_' + dlg) : ''} danger={dlg === 'revoke'} busy={busy}
        message={t('certificate.confirm_text', { name: holderName(c), serial: c.serial, issuer: c.issuer })}
        confirmLabel={dlg ? t('certificate.' + dlg) : ''} onCancel={() => { setDlg(null); setError(null); }} onConfirm={submit}>
        {dlg === 'revoke' && (
          <>
            <Field as="select" label={t('certificate.reason')} value={reason} onChange={(e) => setReason(e.currentTarget.value)}
              options={REASONS.map((r) => [r, tOr('common.reason.' + r, r)])} />
            <Field label={t('certificate.invalidity')} hint={t('certificate.invalidity_hint')} type="datetime-local" value={invalidity}
              onInput={(e) => setInvalidity(e.currentTarget.value)} />
            {st === 'on_hold' && <p class="muted">{t('certificate.hold_to_revoke')}</p>}
          </>
        )}
        {error && <ErrorBox error={error} />}
      </Confirm>
    </section>
  );
}

function Certificate({ params, me, api, t }) {
  const sha = (params.sha256 || '').toLowerCase();
  const q = useAsync(() => api.get('/api/v1/certificates/' + encodeURIComponent(sha)), [sha]);
  const [parsed, setParsed] = useState(null);
  const [spkiHex, setSpkiHex] = useState(null);
  const c = q.data;

  useEffect(() => {
    setParsed(null); setSpkiHex(null);
    if (!c || !c.der) return;
    try {
      const der = b64ToBytes(c.der);
      const p = parseCertificate(der);
      setParsed(p);
      sha256Hex(p.spki).then(setSpkiHex, () => setSpkiHex(null));
    } catch (e) { setParsed({ error: e.message }); }
  }, [c && c.sha256]);

  if (q.loading && !c) return <Page title={t('certificate.title')}><Spinner /></Page>;
  if (q.error) return <Page title={t('certificate.title')}><ErrorBox error={q.error} /><p><a href="#/certificates">{t('certificate.back')}</a></p></Page>;
  const st = displayStatus(c);
  const mayAct = me && me.may && me.may.write && (!me.issuers || me.issuers.includes(c.issuer));
  const reload = async () => { const fresh = await api.get('/api/v1/certificates/' + encodeURIComponent(sha)); q.setData(fresh); };

  return (
    <Page title={holderName(c)} actions={<a class="btn btn-secondary" href="#/certificates">{t('certificate.back')}</a>}>
      <section class="panel" aria-labelledby="cert-summary-h">
        <h2 id="cert-summary-h" class="visually-hidden">{t('certificate.summary')}</h2>
        <div class="status-big" data-testid="cert-status" data-status={st}>
          <StatusBadge status={st} />
          {c.revocation && <span>{tOr('common.reason.' + c.revocation.reason, c.revocation.reason)}, <Time value={c.revocation.time} /></span>}
        </div>
        <dl class="props">
          <dt>{t('certificate.subject')}</dt><dd>{c.subject}</dd>
          <dt>{t('certificate.ids')}</dt><dd><Ids c={c} /></dd>
          <dt>{t('certificate.issuer')}</dt><dd>{c.issuer} <span class="muted">({c.issuer_dn})</span></dd>
          <dt>{t('certificate.serial')}</dt><dd><code>{c.serial}</code></dd>
          <dt>{t('certificate.validity')}</dt><dd><Time value={c.not_before} /> – <Time value={c.not_after} /></dd>
          <dt>SHA-256</dt><dd><code>{c.sha256}</code></dd>
          <dt>{t('certificate.signature_checked')}</dt><dd>{c.signature_checked ? t('common.yes') : t('common.no')}</dd>
        </dl>
        <div class="form-actions">
          {c.der && <Button kind="secondary" onClick={() => download(c.serial + '.cer', new Blob([b64ToBytes(c.der)], { type: 'application/pkix-cert' }))}>{t('certificate.download')}</Button>}
          <a class="btn btn-secondary" href={`#/status?issuer=${encodeURIComponent(c.issuer)}&serial=${c.serial}`}>{t('certificate.check_public')}</a>
        </div>
      </section>

      {mayAct && <Actions c={c} api={api} t={t} onDone={reload} />}

      <div class="grid2">
        <section class="panel" aria-labelledby="hist-h">
          <h2 id="hist-h">{t('certificate.history')}</h2>
          <History c={c} t={t} />
        </section>
        <section class="panel" aria-labelledby="reuse-h">
          <h2 id="reuse-h">{t('certificate.reuse')}</h2>
          <KeyReuse spkiHex={spkiHex} self={c.sha256} api={api} t={t} />
        </section>
      </div>

      <section class="panel" aria-labelledby="fields-h">
        <h2 id="fields-h">{t('certificate.fields')}</h2>
        {!parsed && <p class="muted">{t('certificate.no_der')}</p>}
        {parsed && parsed.error && <ErrorBox error={parsed.error} />}
        {parsed && !parsed.error && (
          <>
            <dl class="props">
              <dt>{t('certificate.version')}</dt><dd>v{parsed.version}</dd>
              <dt>{t('certificate.subject')}</dt><dd>{parsed.subject}</dd>
              <dt>{t('certificate.issuer_dn')}</dt><dd>{parsed.issuer}</dd>
              <dt>{t('certificate.key')}</dt><dd>{parsed.keyAlg} {parsed.keyInfo}</dd>
              <dt>{t('certificate.sig_alg')}</dt><dd>{parsed.sigAlg}</dd>
              {spkiHex && <><dt>{t('certificate.spki')}</dt><dd><code>{spkiHex}</code></dd></>}
            </dl>
            <Table caption={t('certificate.extensions')} rows={parsed.extensions} rowKey={(e) => e.oid}
              empty={<p class="muted">{t('certificate.no_ext')}</p>}
              columns={[
                { key: 'name', label: t('certificate.ext_name'), render: (e) => <><span title={e.oid}>{e.name}</span>{e.critical && <span class="badge badge-on_hold">{t('certificate.critical')}</span>}</> },
                { key: 'value', label: t('certificate.ext_value'), render: (e) => <span class="mono">{e.value}</span> },
              ]} />
          </>
        )}
      </section>
    </Page>
  );
}

export const screen = {
  id: 'certificate', route: '/certificates/:sha256', nav: null, public: false, visible: (me) => !!me && !isHolder(me), Component: Certificate,
};
