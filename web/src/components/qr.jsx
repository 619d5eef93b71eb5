// components/qr.jsx — a QR code as SVG (qrcode-generator makes the module matrix; the drawing is
// one <path> of the dark modules, coloured by the stylesheet: the page's CSP allows no inline
// style). Error correction M; a quiet zone of 4 modules as the standard asks.
import qrcode from 'qrcode-generator';

const QUIET = 4;

// The module matrix of a text (ASCII: the links are URLs; anything else is percent-encoded first).
export function qrModules(text) {
  let s = String(text);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(s)) { try { s = new URL(s).href; } catch { s = encodeURI(s); } }
  const q = qrcode(0, 'M');
  q.addData(s, 'Byte');
  q.make();
  const n = q.getModuleCount();
  return { n, dark: (r, c) => q.isDark(r, c) };
}

export function QrCode({ text, label, testid }) {
  const { n, dark } = qrModules(text);
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!dark(r, c)) continue;
      // Runs of dark modules in a row become one rectangle.
      let w = 1;
      while (c + w < n && dark(r, c + w)) w++;
      d += `M${c + QUIET} ${r + QUIET}h${w}v1h-${w}z`;
      c += w - 1;
    }
  }
  const size = n + 2 * QUIET;
  return (
    <svg class="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} data-testid={testid} shape-rendering="crispEdges">
      <rect class="qr-bg" width={size} height={size} />
      <path class="qr-fg" d={d} />
    </svg>
  );
}
