// screens/admin/kit.jsx — small helpers shared by ui-admin's four screens (tl_work, admin,
// stats, testbed): role checks over ME, an action runner with busy/error state, a copy
// button, a dialog that asks for a reason, and reading a file the user picked.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { Button, Confirm, Field, ErrorBox } from '../../components/index.js';
import { t, tOr } from '../../lib/i18n.js';
import './admin.css';

const isBootstrap = (me) => !!me && (me.bootstrap || me.actor === 'bootstrap');

// What the logged-in representative may do; ME.may when the server sends it, else derived.
export function may(me, what) {
  if (!me) return false;
  if (me.may && typeof me.may[what] === 'boolean') return me.may[what];
  if (isBootstrap(me)) return true;
  if (what === 'admin') return me.kind === 'central_body' && me.role === 'admin';
  if (what === 'write') return me.role === 'admin' || me.role === 'operator';
  if (what === 'central_body') return me.kind === 'central_body';
  return false;
}
export const isQtsp = (me) => !!me && me.kind === 'qtsp';

// const [run, busy, error, setError] = useAction(); run(async () => …) → the result or undefined.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setBusy(true); setError(null);
    try { return await fn(); } catch (e) { setError(e); return undefined; } finally { setBusy(false); }
  };
  return [run, busy, error, setError];
}

// Copies text to the clipboard; says so for a moment.
export function CopyButton({ text, label, testid }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      try { document.execCommand('copy'); } catch { /* ignore */ }
      ta.remove();
    }
    setDone(true); setTimeout(() => setDone(false), 2000);
  };
  return <Button kind="secondary" onClick={copy} data-testid={testid}>{done ? t('admin.copied') : (label || t('common.copy'))}</Button>;
}

// A confirmation that needs a reason (block, reject). onConfirm(reason).
export function ReasonDialog({ open, title, message, confirmLabel, danger = true, busy, error, onConfirm, onCancel, optional }) {
  const [reason, setReason] = useState('');
  useEffect(() => { if (open) setReason(''); }, [open]);
  const ok = () => { if (optional || reason.trim()) onConfirm(reason.trim()); };
  return (
    <Confirm open={open} title={title} message={message} confirmLabel={confirmLabel} danger={danger} busy={busy}
      onConfirm={ok} onCancel={() => { setReason(''); onCancel(); }}>
      <Field label={optional ? t('admin.note') : t('admin.reason')} as="textarea" value={reason} required={!optional}
        onInput={(e) => setReason(e.currentTarget.value)} class="reason-field" />
      <ErrorBox error={error} />
    </Confirm>
  );
}

// The text of a file the user picked in <input type=file>.
export function readFileText(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsText(file);
  });
}

export function readFileBytes(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(file);
  });
}

// A label "name (code)" for people and participants, never a bare number.
export function named(name, id) { return name ? `${name} (#${id})` : `#${id}`; }

// A certificate file as the API takes it: PEM text as is, DER as base64.
export async function readCertFile(file) {
  const buf = new Uint8Array(await readFileBytes(file));
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (text.includes('-----BEGIN')) return text;
  let s = '';
  for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  return btoa(s);
}

// A state badge with the label from one of our sections (ns: 'tl.state_v.'), else common.status.
export function StateBadge({ status, ns, testid }) {
  const s = status || 'unknown';
  const label = tOr(ns + s, tOr('common.status.' + s, s));
  return <span class={'badge badge-' + s.replace(/[^a-z_]/gi, '')} data-testid={testid} data-status={s}>{label}</span>;
}

// Participant names by id, for showing "Name (#id)" rather than a bare number: every participant
// for central-body administrators (GET /api/v1/admin/participants), else one's own.
let namesCache = null;
export function useParticipantNames(me) {
  const [names, setNames] = useState(() => ownNames(me, namesCache));
  useEffect(() => {
    if (!may(me, 'admin')) { setNames(ownNames(me, null)); return undefined; }
    let live = true;
    api.get('/api/v1/admin/participants').then((r) => {
      const m = {};
      for (const p of r.participants || []) m[p.id] = p.name;
      namesCache = m;
      if (live) setNames(ownNames(me, m));
    }, () => {});
    return () => { live = false; };
  }, [me && me.actor]);
  return (id) => (id === undefined || id === null ? '' : names[id] ? `${names[id]} (#${id})` : `#${id}`);
}
function ownNames(me, m) {
  const out = { ...(m || {}) };
  if (me && me.participant !== undefined && me.participant_name) out[me.participant] = me.participant_name;
  return out;
}

// "p3/r7/c9" → "p3/r7/c9 — Name" when the participant's name is known.
export function actorLabel(actor, nameOf) {
  const m = /^p(\d+)(\/|$)/.exec(actor || '');
  if (!m) return actor;
  const n = nameOf(Number(m[1]));
  return n.startsWith('#') ? actor : `${actor} — ${n.replace(/ \(#\d+\)$/, '')}`;
}

// A server URL (built from its configured base) as a link on this origin: path and query only.
export function localHref(url) {
  try { const u = new URL(url, location.origin); return u.pathname + u.search; } catch { return url; }
}
