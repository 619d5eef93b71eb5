// lib/sse.js — a small wrapper over EventSource for the screens (watch live panel): opens a
// same-origin stream, routes named events to handlers, reports the connection state, closes cleanly.

// openStream(url, { onEvent(name, data, lastEventId), onState(state), events: ['certificate', …] })
// state: 'connecting' | 'open' | 'closed'. Returns a function that closes the stream.
export function openStream(url, { onEvent, onState, events = [] } = {}) {
  const es = new EventSource(url, { withCredentials: true });
  onState && onState('connecting');
  es.onopen = () => onState && onState('open');
  es.onerror = () => onState && onState(es.readyState === 2 ? 'closed' : 'connecting');
  const handle = (name) => (ev) => {
    let data = ev.data;
    try { data = JSON.parse(ev.data); } catch { /* keep text */ }
    onEvent && onEvent(name, data, ev.lastEventId);
  };
  es.onmessage = handle('message');
  for (const n of events) es.addEventListener(n, handle(n));
  return () => { es.close(); onState && onState('closed'); };
}
