import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The published package: only what a user needs, and it runs from the packed tarball
// installed in an empty folder. Needs dist/ (npm test's pretest builds it).

const root = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * npm without the parent npm's lifecycle variables: under `npm test` they include
 * npm_config_local_prefix and npm_package_*, which describe this repository, not the empty
 * folder. The user's own settings (registry, cache, proxy) are kept.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_prefix$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false' };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // Its own process group: on a timeout, everything it started goes too.
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  license: string;
  engines: { node: string };
};

t.test('package.json is publishable', async (t) => {
  t.equal(pkg.bin.exechealthz, 'dist/src/cli.js', 'bin: exechealthz → dist/src/cli.js');
  t.equal(pkg.license, 'Apache-2.0');
  t.match(pkg.engines.node, />=\s*20/, 'engines.node');
  t.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/, 'LICENSE is the Apache-2.0 text');
  t.match(readFileSync(join(root, 'dist/src/cli.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/, 'the bin starts with a node shebang');
});

t.test('npm pack --dry-run lists only the built JS, README, LICENSE and package.json', async (t) => {
  const r = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root);
  t.equal(r.code, 0, `npm pack --dry-run exits 0 ${r.stderr}`);
  const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path).sort();
  const allowed = (p: string) => /^dist\/(src|workers)\/.+\.js$/.test(p) || ['README.md', 'LICENSE', 'package.json'].includes(p);
  t.same(files.filter((p) => !allowed(p)), [], 'nothing else: no test/, no .ts, no source maps, no scripts');
  t.ok(files.includes('dist/src/cli.js'), 'the CLI');
  t.ok(files.includes('dist/workers/probe.js'), 'the worker');
  t.ok(files.includes('LICENSE'), 'LICENSE');
  t.ok(files.includes('package.json'), 'package.json');
  t.ok(files.includes('README.md'), 'README.md', { todo: existsSync(join(root, 'README.md')) ? false : 'README.md is not written yet' });

  // Every packed .js is the output of a current source file (a stale dist/ would ship dead code).
  const stale = files
    .filter((p) => p.endsWith('.js'))
    .filter((p) => !existsSync(join(root, p.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
  t.same(stale, [], 'no packed file without a source (run a clean build if this fails)');
});

t.test('the packed tarball, installed in an empty folder, runs', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'exechealthz-pack-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const out = join(work, 'tarball');
  const app = join(work, 'app');

  mkdirSync(out);
  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], root);
  t.equal(packed.code, 0, `npm pack exits 0 ${packed.stderr}`);
  if (packed.code !== 0) return;
  const filename = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename;
  const tarball = join(out, filename);
  t.ok(existsSync(tarball), `packed ${filename}`);

  // An empty project of its own, so that npm installs here and does not walk up to a parent one.
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-smoke', version: '0.0.0', private: true }) + '\n');

  // --prefer-offline reuses what `npm ci` cached; the registry is only asked for what is missing.
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', app, tarball], app, 45_000);
  if (installed.code !== 0) {
    const output = installed.stdout + installed.stderr;
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|network|offline/i.test(output)) {
      const reason = output.split('\n').find((l) => /error/i.test(l)) ?? '';
      t.pass('install from the tarball', { skip: `npm install needs the registry for something not in the cache, and the network is unavailable (${reason.trim()})` });
      return;
    }
    t.fail(`npm install of the tarball failed (${installed.code}): ${output}`);
    return;
  }
  t.pass('installed from the tarball');

  const viaNpx = await run('npx', ['--no', '--', 'exechealthz', '--help'], app);
  t.equal(viaNpx.code, 0, 'npx exechealthz --help exits 0');
  t.match(viaNpx.stdout, /Usage/, 'and prints the usage');
  t.match(viaNpx.stdout, /--cmd/, 'of exechealthz, not of npx');

  const bin = join(app, 'node_modules', '.bin', 'exechealthz');
  const version = await run(bin, ['--version'], app);
  t.same([version.code, version.stdout.trim()], [0, pkg.version], 'node_modules/.bin/exechealthz --version');

  // --once runs a probe through the worker pool: proves the worker files were packed too.
  const once = await run(bin, ['--once', '-cmd', 'echo packed'], app);
  t.equal(once.code, 0, `--once with a probe exits 0 ${once.stderr}`);
  t.match(once.stdout, /\/healthz/, 'and reports the probe');
});
