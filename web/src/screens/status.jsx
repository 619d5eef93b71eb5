// screens/status.jsx — public certificate status check: paste or upload a certificate
// (POST /api/v1/status) or pick an issuer and type a serial (GET /api/v1/status); shows the status,
// the revocation, the dates, and what the OCSP responder and the CRL say.
import { useEffect, useState } from 'preact/hooks';
import { tOr } from '../lib/i18n.js';
import { dnCN, localPath } from '../lib/format.js';
import { Page, Field, Button, ErrorBox, StatusBadge, Time, Tabs, useAsync } from '../components/index.js';

function isText(buf) {
  const head = new TextDecoder().decode(new Uint8Array(buf.slice(0, 64)));
  return head.includes('-----BEGIN');
}

export function Result({ r, t }) {
  const rev = r.revocation;
  return (
    <section class="panel" aria-labelledby="status-result-h" data-testid="cert-status" data-status={r.status}>
      <h2 id="status-result-h">{t('status.result')}</h2>
      <div class="status-big">
        <StatusBadge status={r.status} />
        <span>{r.certificate ? dnCN(r.certificate.subject) : t('status.serial_n', { serial: r.serial })}</span>
      </div>
      <dl class="props">
        {r.certificate && <><dt>{t('status.subject')}</dt><dd>{r.certificate.subject}</dd></>}
        <dt>{t('status.issuer')}</dt><dd>{r.issuer ? `${r.issuer.name} — ${r.issuer.subject || ''}` : '—'}</dd>
        <dt>{t('status.serial')}</dt><dd><code>{r.serial}</code></dd>
        {r.certificate && <>
          <dt>{t('status.valid_from')}</dt><dd><Time value={r.certificate.not_before} /></dd>
          <dt>{t('status.valid_to')}</dt><dd><Time value={r.certificate.not_after} /></dd>
          <dt>SHA-256</dt><dd><code>{r.certificate.sha256}</code></dd>
        </>}
        {rev && <>
          <dt>{t('status.revoked_at')}</dt><dd><Time value={rev.time} seconds /></dd>
          <dt>{t('status.reason')}</dt><dd>{tOr('common.reason.' + rev.reason, rev.reason || '—')}</dd>
          {rev.invalidity_date && <><dt>{t('status.invalidity')}</dt><dd><Time value={rev.invalidity_date} /></dd></>}
        </>}
      </dl>
      <div class="grid2">
        <div>
          <h3>{t('status.ocsp')}</h3>
          {r.ocsp ? (
            <dl class="props">
              <dt>{t('status.says')}</dt><dd><StatusBadge status={r.ocsp.status} /></dd>
              <dt>URL</dt><dd><code>{r.ocsp.url}</code></dd>
              <dt>{t('status.produced_at')}</dt><dd><Time value={r.ocsp.produced_at} seconds /></dd>
              <dt>{t('status.this_update')}</dt><dd><Time value={r.ocsp.this_update} /></dd>
              <dt>{t('status.next_update')}</dt><dd><Time value={r.ocsp.next_update} /></dd>
            </dl>
          ) : <p class="muted">{t('status.no_ocsp')}</p>}
        </div>
        <div>
          <h3>{t('status.crl')}</h3>
          {r.crl ? (
            <dl class="props">
              <dt>{t('status.says')}</dt><dd>{r.crl.listed ? <>{t('status.listed')}{r.crl.reason ? ` (${tOr('common.reason.' + r.crl.reason, r.crl.reason)})` : ''}</> : t('status.not_listed')}</dd>
              <dt>URL</dt><dd><a href={localPath(r.crl.url)}>{r.crl.url}</a></dd>
              <dt>{t('status.crl_number')}</dt><dd>{r.crl.number}</dd>
              <dt>{t('status.this_update')}</dt><dd><Time value={r.crl.this_update} /></dd>
              <dt>{t('status.next_update')}</dt><dd><Time value={r.crl.next_update} /></dd>
            </dl>
          ) : <p class="muted">{t('status.no_crl')}</p>}
        </div>
      </div>
    </section>
  );
}

function Status({ api, t, query, navigate }) {
  const [mode, setMode] = useState(query.serial ? 'serial' : 'file');
  const [pem, setPem] = useState('');
  const [file, setFile] = useState(null);
  const [issuer, setIssuer] = useState(query.issuer || '');
  const [serial, setSerial] = useState(query.serial || '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const issuers = useAsync(() => api.get('/api/v1/issuers'), []);
  const list = issuers.data && issuers.data.issuers ? issuers.data.issuers : null;

  const run = async (fn) => {
    setBusy(true); setError(null); setResult(null);
    try { setResult(await fn()); } catch (e) { setError(e); }
    setBusy(false);
  };

  // A link such as #/status?issuer=demo-ec&serial=0A1B (from a certificate's page) checks at once.
  useEffect(() => {
    if (query.issuer && query.serial) run(() => api.get('/api/v1/status', { issuer: query.issuer, serial: query.serial }));
  }, [query.issuer, query.serial]);

  const byFile = (e) => {
    e.preventDefault();
    run(async () => {
      if (file) {
        const buf = await file.arrayBuffer();
        if (isText(buf)) return api.post('/api/v1/status', new TextDecoder().decode(buf), { contentType: 'application/x-pem-file' });
        return api.post('/api/v1/status', buf, { contentType: 'application/pkix-cert' });
      }
      if (!pem.trim()) throw { message: t('status.need_cert') };
      return api.post('/api/v1/status', pem.trim() + '\n', { contentType: 'application/x-pem-file' });
    });
  };

  const bySerial = (e) => {
    e.preventDefault();
    const s = serial.replace(/[\s:]/g, '');
    if (!issuer || !s) { setError({ message: t('status.need_serial') }); return; }
    if (query.issuer === issuer && query.serial === s) run(() => api.get('/api/v1/status', { issuer, serial: s }));
    else navigate('/status', { issuer, serial: s }); // the effect above runs the check
  };

  return (
    <Page title={t('status.title')}>
      <p class="lead">{t('status.lead')}</p>
      <Tabs label={t('status.how')} value={mode} onChange={setMode}
        items={[{ id: 'file', label: t('status.by_file') }, { id: 'serial', label: t('status.by_serial') }]} />
      {mode === 'file' ? (
        <form class="panel" onSubmit={byFile}>
          <Field as="textarea" label={t('status.pem')} hint={t('status.pem_hint')} value={pem}
            onInput={(e) => setPem(e.currentTarget.value)} spellcheck={false} placeholder="-----BEGIN CERTIFICATE-----" />
          <Field label={t('status.file')} hint={t('status.file_hint')} type="file" accept=".pem,.crt,.cer,.der"
            onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
          <div class="form-actions"><Button type="submit" busy={busy}>{t('status.check')}</Button></div>
        </form>
      ) : (
        <form class="panel" onSubmit={bySerial}>
          <div class="form-row">
            {list ? (
              <Field as="select" label={t('status.issuer')} value={issuer} onChange={(e) => setIssuer(e.currentTarget.value)}
                options={[['', t('status.pick_issuer')], ...list.map((i) => [i.name, `${i.name} — ${dnCN(i.subject)}${i.test ? ' (' + t('status.test') + ')' : ''}`])]} />
            ) : (
              <Field label={t('status.issuer')} hint={t('status.issuer_hint')} value={issuer} onInput={(e) => setIssuer(e.currentTarget.value)} />
            )}
            <Field label={t('status.serial')} hint={t('status.serial_hint')} value={serial} spellcheck={false}
              onInput={(e) => setSerial(e.currentTarget.value)} class="mono-input" />
          </div>
          <div class="form-actions"><Button type="submit" busy={busy}>{t('status.check')}</Button></div>
        </form>
      )}
      <ErrorBox error={error} />
      {result && <Result r={result} t={t} />}
    </Page>
  );
}

export const screen = {
  id: 'status', route: '/status', nav: 'nav.status', public: true, visible: () => true, Component: Status,
};
