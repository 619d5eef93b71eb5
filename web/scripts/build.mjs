// scripts/build.mjs — `npm run build`: bundles src/main.jsx with esbuild into
// dist/assets/app-<hash>.js and app-<hash>.css, writes dist/index.html (no inline script or style:
// the server's CSP forbids them), a .gz next to each asset, deletes files of earlier builds,
// prints sizes and fails when the first screen's JS+CSS (gzip) exceed the 200 kB budget.
// Deterministic: same sources → same bytes (dist/ is committed and CI diffs it).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { gzipSync, constants } from 'node:zlib';
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const assets = join(dist, 'assets');
const BUDGET = 200 * 1000;

const result = await build({
  entryPoints: [join(root, 'src/main.jsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  loader: { '.json': 'json', '.svg': 'dataurl', '.png': 'dataurl' },
  legalComments: 'none',
  charset: 'utf8',
  sourcemap: false,
  write: false,
  outdir: 'out',
  entryNames: 'app',
  absWorkingDir: root,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});

// Both languages must have the same keys (a warning, not a failure: helpers add keys as they go).
{
  const flat = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? flat(v, p + k + '.') : [p + k]));
  const keys = (l) => new Set(flat(JSON.parse(readFileSync(join(root, `src/i18n/${l}.json`), 'utf8'))));
  const uk = keys('uk'), en = keys('en');
  for (const k of uk) if (!en.has(k)) console.warn(`i18n: "${k}" is in uk.json but not in en.json`);
  for (const k of en) if (!uk.has(k)) console.warn(`i18n: "${k}" is in en.json but not in uk.json`);
}

const gz = (buf) => gzipSync(buf, { level: constants.Z_BEST_COMPRESSION });
const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 12);

mkdirSync(assets, { recursive: true });
const keep = new Set();
const names = {};
let firstScreen = 0;
const rows = [];
for (const f of result.outputFiles) {
  const ext = f.path.endsWith('.css') ? 'css' : 'js';
  const buf = Buffer.from(f.contents);
  const name = `app-${hash(buf)}.${ext}`;
  const z = gz(buf);
  writeFileSync(join(assets, name), buf);
  writeFileSync(join(assets, name + '.gz'), z);
  keep.add(name); keep.add(name + '.gz');
  names[ext] = name;
  firstScreen += z.length;
  rows.push([name, buf.length, z.length]);
}
if (!names.js) throw new Error('esbuild produced no JavaScript');

const html = `<!doctype html>
<html lang="uk">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Електронний кабінет trustmon</title>
<link rel="icon" href="data:,">
${names.css ? `<link rel="stylesheet" href="/assets/${names.css}">\n` : ''}<script type="module" src="/assets/${names.js}"></script>
</head>
<body>
<div id="app"><noscript>Для роботи кабінету потрібен JavaScript. / The cabinet needs JavaScript.</noscript></div>
</body>
</html>
`;
writeFileSync(join(dist, 'index.html'), html);

// Remove what earlier builds left behind.
for (const f of readdirSync(assets)) if (!keep.has(f)) rmSync(join(assets, f));
for (const f of readdirSync(dist)) if (f !== 'assets' && f !== 'index.html') rmSync(join(dist, f), { recursive: true });

for (const [n, raw, z] of rows) console.log(`${n.padEnd(24)} ${String(raw).padStart(8)} B  gzip ${String(z).padStart(7)} B`);
console.log(`first screen JS+CSS gzip: ${firstScreen} B (budget ${BUDGET} B)`);
if (firstScreen > BUDGET) {
  console.error('FAIL: the first screen is over the 200 kB budget');
  process.exit(1);
}
