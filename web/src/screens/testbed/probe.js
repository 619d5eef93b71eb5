// screens/testbed/probe.js — whether this server runs the test bed: GET /api/v1/testca/cas
// answers 200 (the list of test CAs) or not. Asked once when the cabinet loads.
const st = { state: 'pending', data: null };
const listeners = new Set();

export function probed() { return { ...st }; }
export function onProbe(f) { listeners.add(f); return () => listeners.delete(f); }

let started = false;
export function probe() {
  if (started || typeof fetch === 'undefined') return;
  started = true;
  fetch('/api/v1/testca/cas', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((j) => { st.state = j ? 'on' : 'off'; st.data = j; }, () => { st.state = 'off'; })
    .then(() => listeners.forEach((f) => f(probed())));
}
