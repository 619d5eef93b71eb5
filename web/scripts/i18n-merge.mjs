// scripts/i18n-merge.mjs — adds keys to src/i18n/{uk,en}.json without disturbing what is there:
//   node scripts/i18n-merge.mjs patch.json   (patch = {"uk": {section: {key: text}}, "en": {…}})
// Keeps sections in the fixed order below, 2-space pretty printing, one key per line.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

export const SECTIONS = ['common', 'shell', 'nav', 'login', 'status', 'trustedlist', 'downloads',
  'certificates', 'certificate', 'watches', 'csr', 'tl', 'admin', 'stats', 'testbed', 'holder', 'errors'];

function merge(a, b) {
  for (const [k, v] of Object.entries(b)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) a[k] = merge(a[k] && typeof a[k] === 'object' ? a[k] : {}, v);
    else a[k] = v;
  }
  return a;
}

const patch = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const lang of ['uk', 'en']) {
  const file = new URL(`../src/i18n/${lang}.json`, import.meta.url);
  const cur = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  merge(cur, patch[lang] || {});
  const out = {};
  for (const s of SECTIONS) out[s] = cur[s] || {};
  for (const s of Object.keys(cur)) if (!(s in out)) out[s] = cur[s];
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
}
