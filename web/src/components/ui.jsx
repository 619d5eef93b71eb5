// components/ui.jsx — the shared building blocks every screen uses (also ui-admin's screens):
// Page, Button, Field, Table, Confirm, Empty, ErrorBox, Spinner, Progress, StatusBadge, Time, Tabs.
import { useEffect, useRef, useState } from 'preact/hooks';
import { t, tOr, errorText } from '../lib/i18n.js';
import { fmtTime } from '../lib/format.js';

// A screen's frame: one <h1>, optional actions on the right, then the content.
export function Page({ title, actions, children, testid }) {
  return (
    <section class="page" data-testid={testid}>
      <div class="page-head">
        <h1>{title}</h1>
        {actions && <div class="page-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

// kind: 'primary' | 'secondary' | 'danger' | 'link'. busy shows a spinner and disables.
export function Button({ kind = 'primary', busy, disabled, children, type = 'button', class: cls, ...rest }) {
  return (
    <button type={type} class={`btn btn-${kind}${cls ? ' ' + cls : ''}`} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {busy && <span class="spin spin-sm" aria-hidden="true" />}
      {children}
    </button>
  );
}

let fieldSeq = 0;
// <Field label="…" hint="…"> with either children (give the input the same id) or the input's
// own props: as="input"|"select"|"textarea", options=[[value,label],…] for selects.
export function Field({ label, hint, id, as = 'input', options, children, class: cls, ...input }) {
  const ref = useRef(null);
  if (!ref.current) ref.current = id || 'f' + ++fieldSeq;
  const fid = id || ref.current;
  const hintId = hint ? fid + '-hint' : undefined;
  let control = children;
  if (!control) {
    if (as === 'select') {
      control = (
        <select id={fid} aria-describedby={hintId} {...input}>
          {(options || []).map(([v, l]) => <option value={v} key={v}>{l}</option>)}
        </select>
      );
    } else if (as === 'textarea') {
      control = <textarea id={fid} aria-describedby={hintId} {...input} />;
    } else {
      control = <input id={fid} aria-describedby={hintId} {...input} />;
    }
  }
  return (
    <div class={'field' + (cls ? ' ' + cls : '')}>
      <label for={fid}>{label}</label>
      {control}
      {hint && <small id={hintId} class="hint">{hint}</small>}
    </div>
  );
}

// columns: [{ key, label, render?: (row) => node, class? }]
export function Table({ caption, columns, rows, rowKey, empty, testid, onRow }) {
  if (!rows || rows.length === 0) return empty || <Empty title={t('common.nothing')} />;
  return (
    <div class="table-wrap" data-testid={testid}>
      <table class="stack">
        {caption && <caption>{caption}</caption>}
        <thead><tr>{columns.map((c) => <th scope="col" key={c.key} class={c.class}>{c.label}</th>)}</tr></thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey ? rowKey(r) : i} class={onRow ? 'clickable' : undefined} onClick={onRow ? () => onRow(r) : undefined}>
              {columns.map((c) => <td key={c.key} class={c.class} data-label={c.label}>{c.render ? c.render(r) : r[c.key]}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// A modal confirmation built on <dialog> (focus stays inside; Esc cancels).
let dialogSeq = 0;
export function Confirm({ open, title, message, confirmLabel, cancelLabel, danger, busy, onConfirm, onCancel, children }) {
  const ref = useRef(null);
  const idRef = useRef(null);
  if (!idRef.current) idRef.current = 'dlg' + ++dialogSeq;
  const hid = idRef.current + '-title';
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby={hid} onCancel={(e) => { e.preventDefault(); onCancel && onCancel(); }}>
      <h2 id={hid}>{title}</h2>
      {message && <p>{message}</p>}
      {children}
      <div class="dialog-actions">
        <Button kind="secondary" onClick={onCancel}>{cancelLabel || t('common.back_out')}</Button>
        <Button kind={danger ? 'danger' : 'primary'} busy={busy} onClick={onConfirm}>{confirmLabel || t('common.confirm')}</Button>
      </div>
    </dialog>
  );
}

// An empty state always says what to do next.
export function Empty({ title, children }) {
  return (
    <div class="empty" role="status">
      <p class="empty-title">{title}</p>
      {children && <div class="empty-hint">{children}</div>}
    </div>
  );
}

// Shows the API's error.message (and the code, small) — or nothing when there is no error.
export function ErrorBox({ error, title }) {
  if (!error) return null;
  const code = typeof error === 'object' ? error.code : undefined;
  const { text, detail } = typeof error === 'string' ? { text: error, detail: '' } : errorText(code, error.message);
  return (
    <div class="error-box" role="alert">
      <strong>{title || t('common.error')}</strong>
      <span class="error-msg">{text}</span>
      {detail && <span class="error-detail" lang="en">{detail}</span>}
      {code && <code class="error-code">{code}</code>}
    </div>
  );
}

export function Notice({ children, kind = 'ok' }) {
  return <div class={'notice notice-' + kind} role="status">{children}</div>;
}

export function Spinner({ label }) {
  return (
    <div class="spinner" role="status" aria-live="polite">
      <span class="spin" aria-hidden="true" />
      <span>{label || t('common.loading')}</span>
    </div>
  );
}

// Determinate when max is given, else indeterminate.
export function Progress({ value, max, label }) {
  return (
    <div class="progress" role="status" aria-live="polite">
      <progress value={max ? value : undefined} max={max || undefined} aria-label={label} />
      <span>{label}</span>
    </div>
  );
}

// good / revoked / on_hold / unknown / expired / … → coloured, translated badge.
export function StatusBadge({ status, testid }) {
  const s = status || 'unknown';
  return <span class={'badge badge-' + s.replace(/[^a-z_]/gi, '')} data-testid={testid} data-status={s}>{tOr('common.status.' + s, s)}</span>;
}

export function Time({ value, seconds }) {
  if (!value) return <span class="muted">—</span>;
  const iso = typeof value === 'number' ? new Date(value * 1000).toISOString() : value;
  return <time datetime={iso}>{fmtTime(value, seconds)}</time>;
}

// Tabs: items [{id, label}], value, onChange. Keyboard: arrows move between tabs.
export function Tabs({ items, value, onChange, label }) {
  const onKey = (e, i) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const n = (i + (e.key === 'ArrowRight' ? 1 : items.length - 1)) % items.length;
    onChange(items[n].id);
    const el = e.currentTarget.parentElement.children[n];
    el && el.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {items.map((it, i) => (
        <button type="button" role="tab" key={it.id} aria-selected={value === it.id ? 'true' : 'false'}
          tabIndex={value === it.id ? 0 : -1} onClick={() => onChange(it.id)} onKeyDown={(e) => onKey(e, i)}>{it.label}</button>
      ))}
    </div>
  );
}

// useAsync(fn, deps) → { data, error, loading, reload, setData }
export function useAsync(fn, deps) {
  const [st, setSt] = useState({ data: undefined, error: null, loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setSt((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve().then(fn).then(
      (data) => live && setSt({ data, error: null, loading: false }),
      (error) => live && setSt({ data: undefined, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, n]);
  return { ...st, reload: () => setN((x) => x + 1), setData: (d) => setSt((s) => ({ ...s, data: typeof d === 'function' ? d(s.data) : d })) };
}
