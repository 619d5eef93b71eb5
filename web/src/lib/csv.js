// lib/csv.js — client-side CSV and JSON export of result sets (the browser saves a Blob).

function cell(v) {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n;]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

// columns: [{ key, label, value?: (row) => any }]
export function toCSV(rows, columns) {
  const lines = [columns.map((c) => cell(c.label || c.key)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => cell(c.value ? c.value(r) : r[c.key])).join(','));
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

export function download(filename, content, type) {
  const blob = content instanceof Blob ? content : new Blob([content], { type: type || 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url; a.download = filename; a.rel = 'noopener';
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

export function downloadCSV(filename, rows, columns) { download(filename, toCSV(rows, columns), 'text/csv;charset=utf-8'); }
export function downloadJSON(filename, data) { download(filename, JSON.stringify(data, null, 2) + '\n', 'application/json'); }
