// Global setup of the end-to-end tests: a real trustmond on a free loopback port with a
// temporary data folder (demo PKI of 200 certificates, a signed trusted list, the test
// bed), certificates imported with trustmonctl, and participants made through the JSON
// API with the bootstrap token:
//   central body "ЦЗО" (admin)             -> state.tokens.central
//   QTSP "ДІЯ" 43395033 (demo-rsa, demo-ec, test-ecdsa, test-rsa) -> state.tokens.operator, state.tokens.viewer
//   QTSP "АЦСК Збройних Сил" 22991050      -> state.tokens.second (the one the tests block)
// Signed joining applications from test-bed certificates are accepted ([joining] test_issuers).
// The state (URL, tokens, files, certificates) goes to DIR/state.json, named by
// $TM_E2E_STATE for the test workers (e2e/fixtures.mjs reads it). The returned function
// stops the server and copies its log to e2e/test-results/trustmond.log; the folder stays
// when TM_E2E_KEEP=1.
import { spawn, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const repo = path.resolve(web, '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(file, args, opts = {}) {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  } catch (e) {
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

function certInfo(file, issuer) {
  const pem = fs.readFileSync(file, 'utf8');
  const x = new X509Certificate(pem);
  const field = (name) => {
    const line = x.subject.split('\n').find((l) => l.startsWith(name + '='));
    return line ? line.slice(name.length + 1) : '';
  };
  return {
    issuer,
    file,
    serial: x.serialNumber.toUpperCase(),
    sha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
    cn: field('CN'),
    serialNumber: field('serialNumber'),
    subject: x.subject,
  };
}

async function waitHealthy(url, child, log) {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`trustmond exited (${child.exitCode}); log:\n${fs.readFileSync(log, 'utf8').slice(-4000)}`);
    try {
      const r = await fetch(url + '/healthz');
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('trustmond did not answer /healthz within 60 s');
}

export default async function globalSetup() {
  const build = path.resolve(process.env.TRUSTMON_BUILD || path.join(repo, 'build', 'werror'));
  const ctl = path.join(build, 'tools', 'trustmonctl');
  const daemon = path.join(build, 'responder', 'trustmond');
  for (const f of [ctl, daemon]) if (!fs.existsSync(f)) throw new Error(`missing ${f} (set TRUSTMON_BUILD to a build folder)`);
  const webDir = process.env.TRUSTMON_WEB_DIR || path.join(web, 'dist');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustmon-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const pki = path.join(dir, 'pki');
  const data = path.join(dir, 'data');

  run(ctl, ['demo-pki', '--out', pki, '--count', '200', '--revoked-percent', '5']);
  const issuerLines = fs.readFileSync(path.join(pki, 'issuers.txt'), 'utf8').split('\n').filter(Boolean);
  run(ctl, ['init', '--data', data, '--listen', `127.0.0.1:${port}`, ...issuerLines.flatMap((l) => ['--issuer', l])]);

  // A trusted-list signer (EKU id-tsl-kp-tslSigning), as the integration tests make it.
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-set_serial', '4660',
    '-days', '30', '-keyout', path.join(dir, 'signer.key'), '-out', path.join(dir, 'signer.pem'),
    '-subj', '/C=UA/O=trustmon e2e/CN=TL signer', '-addext', 'extendedKeyUsage=0.4.0.2231.3.0',
    '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation']);

  // The demo's edits (scripts/demo.sh): demo-rsa's CRL signed here, rebuilt within 5 s; the test bed.
  const toml = path.join(data, 'trustmon.toml');
  let conf = fs.readFileSync(toml, 'utf8');
  conf = conf
    .replace(/^name = "demo-rsa"$/m, `$&\ncrl_key = "${pki}/demo-rsa/ca.key"`)
    .replace(/^rebuild_after = .*$/m, 'rebuild_after = "5s"')
    .replace(/^enabled = false$/m, 'enabled = true')
    .replace(/^signer_cert = ""$/m, `signer_cert = "${dir}/signer.pem"`)
    .replace(/^signer_key = ""$/m, `signer_key = "${dir}/signer.key"`)
    .replace(/^rate_per_second = 100$/m, 'rate_per_second = 0');
  // Joining applications (docs/joining.md) signed by heads whose certificates the test CA issues.
  if (!/^test_issuers = false$/m.test(conf)) throw new Error(`no "[joining] test_issuers = false" in ${toml}`);
  conf = conf.replace(/^test_issuers = false$/m, 'test_issuers = true');
  fs.writeFileSync(toml, conf);

  // Certificates held back from the import: the live-panel test imports one of them.
  const revocations = fs.readFileSync(path.join(pki, 'revocations.tsv'), 'utf8');
  const revokedSerials = new Set(revocations.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[1]));
  const pending = path.join(dir, 'pending');
  fs.mkdirSync(pending);
  const listGood = (issuer) => fs.readdirSync(path.join(pki, issuer, 'certs')).filter((f) => f.endsWith('.pem'))
    .sort().filter((f) => !revokedSerials.has(path.basename(f, '.pem')));
  const heldBack = listGood('demo-ec').slice(0, 3).map((f) => {
    const to = path.join(pending, f);
    fs.renameSync(path.join(pki, 'demo-ec', 'certs', f), to);
    return certInfo(to, 'demo-ec');
  });
  const goodRsa = listGood('demo-rsa').slice(0, 6).map((f) => certInfo(path.join(pki, 'demo-rsa', 'certs', f), 'demo-rsa'));
  const goodEc = listGood('demo-ec').slice(0, 6).map((f) => certInfo(path.join(pki, 'demo-ec', 'certs', f), 'demo-ec'));
  const revokedLine = revocations.split('\n').find((l) => l.startsWith('demo-rsa\t') && l.split('\t')[2] !== 'certificateHold');
  const [, revokedSerial, revokedReason] = revokedLine.split('\t');
  const revokedRsa = { ...certInfo(path.join(pki, 'demo-rsa', 'certs', revokedSerial + '.pem'), 'demo-rsa'), reason: revokedReason };

  const log = path.join(data, 'trustmond.log');
  const logFd = fs.openSync(log, 'a');
  const child = spawn(daemon, ['--config', toml], {
    env: { ...process.env, TRUSTMON_WEB_DIR: webDir },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitHealthy(url, child, log);
    const adminTokenFile = path.join(data, 'admin.token');
    const ctlApi = (...args) => run(ctl, ['--server', url, '--token-file', adminTokenFile, ...args]);
    ctlApi('import', path.join(pki, 'demo-rsa', 'certs'), path.join(pki, 'demo-ec', 'certs'));
    const tsv = path.join(dir, 'revocations.tsv');
    fs.writeFileSync(tsv, revocations.split('\n').filter((l) => !heldBack.some((c) => l.includes('\t' + c.serial + '\t'))).join('\n'));
    ctlApi('revoke', '--file', tsv);
    ctlApi('tl', 'import', path.join(repo, 'tests', 'data', 'tl-samples', 'tl-ua.xml'));
    ctlApi('tl', 'publish');

    const bootstrap = fs.readFileSync(adminTokenFile, 'utf8').trim();
    const api = async (method, p, body) => {
      const r = await fetch(url + p, {
        method,
        headers: { Authorization: `Bearer ${bootstrap}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${p} -> ${r.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const participant = async (kind, name, code, issuers = []) => {
      const { id } = await api('POST', '/api/v1/admin/participants', { kind, name, code });
      for (const issuer of issuers) await api('POST', `/api/v1/admin/participants/${id}/issuers`, { issuer });
      return id;
    };
    const representative = async (pid, name, role) => {
      const { id } = await api('POST', `/api/v1/admin/participants/${pid}/representatives`, { name, role });
      const issued = await api('POST', `/api/v1/admin/representatives/${id}/tokens`, { label: 'e2e' });
      return { id, name, role, token: issued.token, credential: issued.id };
    };
    const central = await participant('central_body', 'ЦЗО', '00015622');
    const qtsp = await participant('qtsp', 'ДП «ДІЯ»', '43395033', ['demo-rsa', 'demo-ec']);
    const second = await participant('qtsp', 'АЦСК Збройних Сил', '22991050');
    // The test bed's issuing CAs are operated by the QTSP too: holders' renewals and revocation
    // requests of test certificates go to it (docs/login.md). The test issuers join at start-up;
    // wait for them a little.
    for (const issuer of ['test-ecdsa', 'test-rsa']) {
      for (let i = 0; ; i++) {
        try { await api('POST', `/api/v1/admin/participants/${qtsp}/issuers`, { issuer }); break; } catch (e) {
          if (i >= 50) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
    const reps = {
      central: await representative(central, 'Оксана Адміністраторка', 'admin'),
      operator: await representative(qtsp, 'Петро Оператор', 'operator'),
      viewer: await representative(qtsp, 'Ірина Переглядачка', 'viewer'),
      second: await representative(second, 'Андрій Другий', 'operator'),
    };
    const tokenFiles = {};
    for (const [k, r] of Object.entries(reps)) {
      tokenFiles[k] = path.join(dir, `${k}.token`);
      fs.writeFileSync(tokenFiles[k], r.token + '\n', { mode: 0o600 });
    }

    const state = {
      dir,
      url,
      port,
      build,
      ctl,
      log,
      pki,
      pending,
      root: path.join(pki, 'root.pem'),
      bootstrap,
      adminTokenFile,
      participants: { central: { id: central, name: 'ЦЗО', code: '00015622' },
        qtsp: { id: qtsp, name: 'ДП «ДІЯ»', code: '43395033' },
        second: { id: second, name: 'АЦСК Збройних Сил', code: '22991050' } },
      reps,
      tokens: Object.fromEntries(Object.entries(reps).map(([k, r]) => [k, r.token])),
      tokenFiles,
      certs: { goodRsa, goodEc, heldBack, revokedRsa },
    };
    const stateFile = path.join(dir, 'state.json');
    fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
    process.env.TM_E2E_STATE = stateFile;
    console.log(`e2e: trustmond on ${url}, data in ${dir}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return async () => {
    await stop();
    // The server's log stays beside the test results (e2e/test-results/trustmond.log).
    try {
      const results = path.join(here, 'test-results');
      fs.mkdirSync(results, { recursive: true });
      fs.copyFileSync(log, path.join(results, 'trustmond.log'));
    } catch {
      // no log to keep
    }
    if (process.env.TM_E2E_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  };
}
