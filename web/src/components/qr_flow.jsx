// components/qr_flow.jsx — a cloud key confirmed on a phone through a QR link (docs/login.md
// "Cloud key through a QR link"), shared by the login screen (the phone signs a login) and the
// joining screen (the phone signs an application: POST /api/v1/auth/qr with "sign"):
//   useQrProviders()  GET /api/v1/auth/providers;
//   QrStartFields     the provider and the optional RNOKPP hint;
//   useQrFlow(onFinal) POST /api/v1/auth/qr, a fresh link every `interval` (the server accepts a
//                     link for 5 s and once), the countdown, and the long poll
//                     (GET /api/v1/auth/qr/{id}?wait=25) until the final answer (a login's
//                     session, or {"state":"decided","result"} of a signed document) or a refusal;
//   QrPanel           the verification code (large), the QR of the link, the state, the time left.
// Texts: login.qr_* by default; `ns` names a section whose qr_* keys replace them where given.
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../lib/api.js';
import { t as tr, tOr } from '../lib/i18n.js';
import { QrCode } from './qr.jsx';
import { Field, Button, useAsync } from './ui.jsx';

// Seconds → m:ss.
export function remainingText(sec) {
  const s = Math.max(0, Math.floor(sec));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// A text of the QR flow: `ns`.key when that section has it, else login.key.
export function qrText(ns, key, vars) {
  return ns && tOr(ns + '.' + key, null) !== null ? tr(ns + '.' + key, vars) : tr('login.' + key, vars);
}

// The hint is optional; given, it is an RNOKPP of 10 digits. → null or a local error.
export function hintError(hint, ns) {
  const h = String(hint || '').trim();
  if (!h || /^\d{10}$/.test(h)) return null;
  return { code: 'hint_invalid', message: qrText(ns, 'qr_hint_invalid'), local: true };
}

// The configured key store providers: { loading, error, list }.
export function useQrProviders() {
  const p = useAsync(() => request('GET', '/api/v1/auth/providers', { noSessionEnd: true }), []);
  return { loading: p.loading && !p.data, error: p.error, list: (p.data && p.data.providers) || [] };
}

// The provider (the first one until another is chosen) and the hint.
// value: { provider, hint }; ids: the HTML id prefix; testid: the data-testid prefix.
export function QrStartFields({ list, value, onChange, ns, ids, testid }) {
  useEffect(() => { if (!value.provider && list.length) onChange({ ...value, provider: list[0].name }); }, [list.length]);
  return (
    <>
      <Field as="select" label={qrText(ns, 'qr_provider')} id={ids + '-provider'} value={value.provider}
        onChange={(e) => onChange({ ...value, provider: e.currentTarget.value })} options={list.map((p) => [p.name, p.title || p.name])}
        data-testid={testid + '-provider'} />
      <Field label={qrText(ns, 'qr_hint')} hint={qrText(ns, 'qr_hint_hint')} id={ids + '-hint'} inputMode="numeric" maxLength={10}
        autocomplete="off" value={value.hint} onInput={(e) => onChange({ ...value, hint: e.currentTarget.value })} data-testid={testid + '-hint'} />
    </>
  );
}

const finalAnswer = (r) => !!r && (r.state === 'done' || r.state === 'decided' || !!r.csrf);
const scannedAnswer = (r) => !!r && (r.state === 'scanned' || r.state === 'deciding');

// The flow's state and actions. onFinal(answer) is awaited after the final answer of the poll;
// what it throws becomes the flow's error. phase: idle | pending | scanned | done | failed.
export function useQrFlow(onFinal) {
  const [flow, setFlow] = useState(null);     // { id, vc, expires_at, interval, link }
  const [phase, setPhase] = useState('idle');
  const [link, setLink] = useState('');
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const stop = useRef(null);
  const final = useRef(onFinal);
  final.current = onFinal;
  useEffect(() => () => stop.current && stop.current(), []);

  // body: the POST /api/v1/auth/qr body ({provider, hint?, sign?}).
  const start = async (body) => {
    setError(null);
    setBusy(true);
    try {
      const r = await request('POST', '/api/v1/auth/qr', { body, noSessionEnd: true });
      setFlow(r); setLink(r.link); setPhase('pending'); setNow(Date.now());
    } catch (err) { setError(err); }
    setBusy(false);
  };

  useEffect(() => {
    if (!flow) return undefined;
    let live = true;
    const ctl = new AbortController();
    const base = '/api/v1/auth/qr/' + encodeURIComponent(flow.id);
    let scanned = false;
    const tick = setInterval(() => {
      setNow(Date.now());
      if (scanned || !live) return;
      request('GET', base + '/link', { noSessionEnd: true, signal: ctl.signal })
        .then((r) => { if (live && r && r.link) setLink(r.link); }, () => {});
    }, Math.max(1, Number(flow.interval) || 1) * 1000);
    const finish = () => { live = false; clearInterval(tick); ctl.abort(); };
    stop.current = finish;
    (async () => {
      while (live) {
        try {
          const r = await request('GET', base, { query: { wait: 25 }, noSessionEnd: true, signal: ctl.signal });
          if (!live) return;
          if (finalAnswer(r)) {
            finish();
            setPhase('done');
            try { await final.current(r); } catch (err) { setError(err); setPhase('failed'); }
            return;
          }
          if (scannedAnswer(r) && !scanned) { scanned = true; setPhase('scanned'); }
        } catch (err) {
          if (!live || (err && err.name === 'AbortError')) return;
          if (err.status === 0) { await new Promise((res) => setTimeout(res, 2000)); continue; }  // network: try again
          finish();
          setError(err); setPhase('failed');
          return;
        }
      }
    })();
    return finish;
  }, [flow]);

  const cancel = () => { if (stop.current) stop.current(); setFlow(null); setPhase('idle'); setError(null); };
  const active = !!flow && (phase === 'pending' || phase === 'scanned' || phase === 'done');
  return { flow, phase, link, now, busy, error, setError, start, cancel, active };
}

// The running flow: the verification code, the QR of the current link (until the phone opens
// it), the state, the time left, and "cancel".
export function QrPanel({ qr, ns, ids, testid }) {
  const { flow, phase, link, now } = qr;
  const left = (Date.parse(flow.expires_at) - now) / 1000;
  return (
    <div class="qr-flow" data-testid={testid + '-flow'} data-phase={phase}>
      <p class="vc-box">
        <span class="vc-label" id={ids + '-vc-label'}>{qrText(ns, 'qr_vc')}</span>
        <span class="vc" data-testid={testid + '-vc'} aria-labelledby={ids + '-vc-label'}>{flow.vc}</span>
      </p>
      <p class="hint">{qrText(ns, 'qr_vc_hint')}</p>
      {phase === 'pending' && (
        <div class="qr-box" data-testid={testid + '-box'} data-link={link}>
          <QrCode text={link} label={qrText(ns, 'qr_image')} testid={testid + '-code'} />
          <p>{qrText(ns, 'qr_scan')}</p>
          <p><a href={link} target="_blank" rel="noopener noreferrer" data-testid={testid + '-link'}>{qrText(ns, 'qr_same_device')}</a></p>
          <p class="qr-url"><code>{link}</code></p>
        </div>
      )}
      <p role="status" class={'notice ' + (phase === 'pending' ? 'notice-info' : 'notice-ok')} data-testid={testid + '-state'}>
        {phase === 'pending' ? qrText(ns, 'qr_waiting') : phase === 'scanned' ? qrText(ns, 'qr_scanned') : qrText(ns, 'qr_done')}
      </p>
      <p class="hint" data-testid={testid + '-remaining'}>{left > 0 ? qrText(ns, 'qr_left', { time: remainingText(left) }) : qrText(ns, 'qr_time_up')}</p>
      {phase !== 'done' && <div class="form-actions"><Button kind="secondary" onClick={qr.cancel} data-testid={testid + '-cancel'}>{tr('common.cancel')}</Button></div>}
    </div>
  );
}
