#!/usr/bin/env node
/**
 * Soak (issue 6, item 5): `npm run soak`. Twenty probes mixing success, failure, timeouts,
 * output floods and background children at --period 50ms, under bounded HTTP load on
 * /healthz from 127.0.0.1, for SOAK_SECONDS (default 150; the whole run stays under 3
 * minutes). The server runs under `tini -s` when tini is installed, as the image does, so that
 * orphans of killed probe trees are reaped as they would be in the container.
 *
 * Checks, each printed with its figures; the exit status is 1 when any fails:
 *  - 0 HTTP errors: no connection error, no timeout, no answer other than 200/503;
 *  - 0 leftover processes: after SIGTERM, nothing that carries this soak's environment
 *    marker is alive (every probe process inherits it, escapees included);
 *  - 0 zombies: no process of the server's tree is a zombie in two samples 1 s apart;
 *  - open file descriptors of the server back to baseline ± 5 (minimum over a window after
 *    the warm-up against the same over the last seconds, so that in-flight pipes do not count);
 *  - RSS growth ≤ 10% (median over the same windows);
 *  - the server drained and exited 0.
 * Loopback only; every loop is bounded by the soak's duration.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// RSS warms up for about 20 s (V8 heaps, JIT code, allocator arenas): the baseline window starts
// after it, so a soak shorter than 40 s would compare nothing.
const SECONDS = Math.max(40, Number(process.env.SOAK_SECONDS ?? 150));
const PERIOD = '50ms';
const TIMEOUT = '1s';
const CONNECTIONS = 4;
const RATE = 400; // requests per second over all connections: bounded load
const WARM_S = Math.max(20, Math.round(SECONDS * 0.15));
const WINDOW_S = 5;
const SAMPLE_MS = 250;
const FD_TOLERANCE = 5;
const RSS_GROWTH_LIMIT = 0.1;

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const MARKER = randomUUID();
const SLEEP = `1000.${process.pid}`; // unique `sleep` argument of this soak's background children

const probes = [
  // success
  ['/healthz', 'echo ok', 200],
  ['/true', 'true', 200],
  ['/exit0', 'exit 0', 200],
  ['/printf', "printf '%s\\n' fine", 200],
  ['/date', 'date +%s', 200],
  ['/loadavg', 'cat /proc/loadavg', 200],
  // failure
  ['/exit1', 'exit 1', 503],
  ['/false', 'false', 503],
  ['/stderr3', 'echo bad >&2; exit 3', 503],
  ['/notfound', 'no-such-command-soak', 503],
  // timeouts
  ['/sleep', `sleep ${SLEEP}1`, 503],
  ['/closed', `exec >&- 2>&-; sleep ${SLEEP}2`, 503],
  ['/trap', `trap '' TERM; sleep ${SLEEP}3`, 503],
  // floods
  ['/zeros', 'head -c 2000000 /dev/zero', 200],
  ['/both', 'yes out | head -c 1000000 & yes err | head -c 1000000 >&2; wait', 200],
  ['/endless', 'cat /dev/zero', 503],
  // background children
  ['/bg', `sleep ${SLEEP}4 & echo bg`, 200],
  ['/setsid', `setsid sleep ${SLEEP}5 & echo s`, 200],
  ['/daemon', `setsid -f sleep ${SLEEP}6; echo d`, 200],
  ['/fanout', `for i in 1 2 3 4 5; do sleep ${SLEEP}7 & done; exit 0`, 200],
];

// ---------------------------------------------------------------------------------------------
// /proc

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0], ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

function allStats() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = stat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

function subtree(root, stats = allStats()) {
  const children = new Map();
  for (const s of stats) {
    const list = children.get(s.ppid);
    if (list) list.push(s);
    else children.set(s.ppid, [s]);
  }
  const found = [];
  const stack = [root];
  while (stack.length > 0) for (const s of children.get(stack.pop()) ?? []) found.push(s), stack.push(s.pid);
  return found;
}

/** Live processes whose environment carries this soak's marker. */
function liveMarked() {
  const needle = Buffer.from(`SOAK_MARKER=${MARKER}\0`);
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).indexOf(needle) === -1) continue;
    } catch {
      continue;
    }
    const s = stat(pid);
    if (s && s.state !== 'Z' && s.state !== 'X') found.push(pid);
  }
  return found;
}

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const fdCount = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

function get(port, path, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (err) => resolve({ error: err.code ?? err.message }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Run

const hasTini = spawnSync('/bin/sh', ['-c', 'command -v tini']).status === 0;
const serverArgs = [CLI, '--port', '0', '--address', '127.0.0.1', '--period', PERIOD, '--timeout', TIMEOUT, '--workers', '2'];
for (const [path, cmd] of probes) serverArgs.push('--cmd', cmd, '--url', path);
const [file, args] = hasTini ? ['tini', ['-s', '--', process.execPath, ...serverArgs]] : [process.execPath, serverArgs];

console.log(`soak: ${probes.length} probes at --period ${PERIOD} (--timeout ${TIMEOUT}), ${SECONDS}s of load on /healthz (${CONNECTIONS} connections, ${RATE} req/s), ${hasTini ? 'under tini -s' : 'without tini (not installed)'}`);
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOAK_MARKER: MARKER }, detached: true });
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
const killAll = () => {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  for (const pid of liveMarked()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
};
// Whatever happens (a failed start, an exception), nothing of ours outlives the soak.
process.once('exit', killAll);
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
const logs = [];
let buffered = '';
const port = await new Promise((resolve, reject) => {
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const entry = JSON.parse(line);
        logs.push(entry);
        if (typeof entry.port === 'number') resolve(entry.port);
      } catch {
        /* not JSON */
      }
    }
  });
  void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  setTimeout(() => reject(new Error('server did not start within 20 s')), 20_000).unref();
});

// The node process: the CLI itself, or tini's child.
const serverPid = hasTini ? subtree(child.pid).find((s) => s.ppid === child.pid)?.pid : child.pid;
if (!serverPid) throw new Error('cannot find the server process');
process.once('SIGINT', () => {
  killAll();
  process.exit(130);
});

// Samplers: RSS and fds at 4 Hz, the server's tree (zombies) at 1 Hz.
const samples = []; // { t, rss, fds }
const zombieSightings = new Map(); // pid → times seen as Z in consecutive tree scans
const persistentZombies = new Set();
let maxZombiesAtOnce = 0;
let maxTreeSize = 0;
let sampling = true;
const sampler = (async () => {
  let tick = 0;
  while (sampling && elapsed() < SECONDS + 30) {
    try {
      samples.push({ t: elapsed(), rss: rssKb(serverPid), fds: fdCount(serverPid) });
    } catch {
      break; // the server is gone
    }
    if (tick++ % Math.round(1000 / SAMPLE_MS) === 0) {
      const tree = subtree(child.pid);
      maxTreeSize = Math.max(maxTreeSize, tree.length);
      const zombies = tree.filter((s) => s.state === 'Z');
      maxZombiesAtOnce = Math.max(maxZombiesAtOnce, zombies.length);
      const now = new Set(zombies.map((z) => z.pid));
      for (const pid of now) {
        if (zombieSightings.has(pid)) persistentZombies.add(pid);
      }
      zombieSightings.clear();
      for (const pid of now) zombieSightings.set(pid, 1);
    }
    await sleep(SAMPLE_MS);
  }
})();

// Every probe has a first result before the load starts (until then paths answer 503 "no result yet").
for (let i = 0; i < 100; i++) {
  const replies = await Promise.all(probes.map(([path]) => get(port, path)));
  if (replies.every((r) => r.status !== undefined && !/has no result yet/.test(r.body))) break;
  await sleep(100);
}

// A light poller: every probe path once a second (its answer must be 200 or 503).
const pollStats = { requests: 0, errors: 0, unexpected: new Map(), badStatus: 0 };
let polling = true;
const poller = (async () => {
  while (polling && elapsed() < SECONDS + 30) {
    const round = performance.now();
    await Promise.all(
      probes.map(async ([path, , want]) => {
        const r = await get(port, path);
        pollStats.requests++;
        if (r.error) pollStats.errors++;
        else if (r.status !== 200 && r.status !== 503) pollStats.badStatus++;
        else if (r.status !== want) pollStats.unexpected.set(path, (pollStats.unexpected.get(path) ?? 0) + 1);
      }),
    );
    await sleep(Math.max(0, 1000 - (performance.now() - round)));
  }
})();

// The load on /healthz.
const loadStart = elapsed();
const loadResult = await new Promise((resolve, reject) => {
  const instance = autocannon(
    { url: `http://127.0.0.1:${port}/healthz`, connections: CONNECTIONS, overallRate: RATE, duration: SECONDS, timeout: 10 },
    (err, result) => (err ? reject(err) : resolve(result)),
  );
  instance.on('error', reject);
});
polling = false;
await poller;

const metricsText = (await get(port, '/metrics')).body ?? '';
const metricSum = (name, filter = () => true) =>
  [...metricsText.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))].filter((m) => filter(m[1] ?? '')).reduce((a, m) => a + Number(m[2]), 0);
const runs = metricSum('exechealthz_probe_runs_total');
const runsBy = Object.fromEntries(['success', 'failure', 'timeout', 'unknown'].map((r) => [r, metricSum('exechealthz_probe_runs_total', (l) => l.includes(`result="${r}"`))]));
const killedTotal = metricSum('exechealthz_processes_killed_total');

// Windows: after the warm-up, and the last seconds of the load.
const inWindow = (from, to) => samples.filter((s) => s.t >= from && s.t < to);
const base = inWindow(loadStart + WARM_S, loadStart + WARM_S + WINDOW_S);
const endFrom = loadStart + SECONDS - WINDOW_S - 1;
const end = inWindow(endFrom, endFrom + WINDOW_S);

// Stop: SIGTERM (tini forwards it), drain, exit 0; then nothing of ours may be left.
sampling = false;
await sampler;
const stopAt = performance.now();
process.kill(hasTini ? child.pid : serverPid, 'SIGTERM');
const exit = await Promise.race([exited, sleep(15_000).then(() => ({ code: null, signal: 'did not exit within 15 s' }))]);
const drainMs = performance.now() - stopAt;
let leftovers = liveMarked();
for (let i = 0; i < 30 && leftovers.length > 0; i++) {
  await sleep(100);
  leftovers = liveMarked();
}
const leftoverNames = leftovers.map((pid) => {
  try {
    return `${pid}:${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim().slice(0, 60)}`;
  } catch {
    return String(pid);
  }
});
killAll();

// ---------------------------------------------------------------------------------------------
// Report

const httpErrors = loadResult.errors + loadResult.timeouts + pollStats.errors + pollStats.badStatus;
const baseRss = median(base.map((s) => s.rss));
const endRss = median(end.map((s) => s.rss));
const rssGrowth = (endRss - baseRss) / baseRss;
const baseFds = Math.min(...base.map((s) => s.fds));
const endFds = Math.min(...end.map((s) => s.fds));
const errorLogs = logs.filter((l) => l.level >= 50);
const replaced = logs.filter((l) => l.msg === 'worker thread replaced').length;
const stateLines = logs.filter((l) => typeof l.probe === 'string').length;
const healthzNon2xx = loadResult.non2xx;

const checks = [
  ['0 HTTP errors', httpErrors === 0, `${httpErrors} (load: ${loadResult.errors} errors, ${loadResult.timeouts} timeouts; poller: ${pollStats.errors} errors, ${pollStats.badStatus} statuses other than 200/503)`],
  ['0 leftover processes', leftovers.length === 0, leftovers.length === 0 ? '0' : `${leftovers.length}: ${leftoverNames.join(', ')}`],
  ['0 zombies', persistentZombies.size === 0, `${persistentZombies.size} unreaped for ≥ 1 s (most at one instant, reaped within 1 s: ${maxZombiesAtOnce})`],
  [`open fds back to baseline ± ${FD_TOLERANCE}`, Math.abs(endFds - baseFds) <= FD_TOLERANCE, `${baseFds} → ${endFds}`],
  [`RSS growth ≤ ${RSS_GROWTH_LIMIT * 100}%`, rssGrowth <= RSS_GROWTH_LIMIT, `${(baseRss / 1024).toFixed(1)} MB → ${(endRss / 1024).toFixed(1)} MB (${(rssGrowth * 100).toFixed(1)}%)`],
  ['drained and exited 0', exit.code === 0, `exit ${exit.code ?? exit.signal} after ${drainMs.toFixed(0)} ms`],
];

const summary = {
  seconds: SECONDS,
  tini: hasTini,
  probes: probes.length,
  period: PERIOD,
  timeout: TIMEOUT,
  runs,
  runsBy,
  processesKilled: killedTotal,
  http: {
    requests: loadResult.requests.total + pollStats.requests,
    healthz: { requests: loadResult.requests.total, '2xx': loadResult['2xx'], non2xx: healthzNon2xx, p50ms: loadResult.latency.p50, p99ms: loadResult.latency.p99, maxMs: loadResult.latency.max },
    errors: httpErrors,
    unexpectedPublished: Object.fromEntries(pollStats.unexpected),
  },
  rssMB: { baseline: +(baseRss / 1024).toFixed(1), end: +(endRss / 1024).toFixed(1), growthPct: +(rssGrowth * 100).toFixed(1), max: +(Math.max(...samples.map((s) => s.rss)) / 1024).toFixed(1) },
  fds: { baseline: baseFds, end: endFds, max: Math.max(...samples.map((s) => s.fds)) },
  zombies: { persistent: persistentZombies.size, maxAtOnce: maxZombiesAtOnce },
  maxProcessesInTree: maxTreeSize,
  leftovers: leftovers.length,
  logs: { lines: logs.length, stateChanges: stateLines, workerReplaced: replaced, errors: errorLogs.length },
  exit: exit.code,
  drainMs: Math.round(drainMs),
};

const trajectory = [];
for (let from = 0; from < SECONDS; from += 10) {
  const w = inWindow(from, from + 10);
  if (w.length > 0) trajectory.push(`${from}s ${(median(w.map((x) => x.rss)) / 1024).toFixed(0)}MB/${Math.min(...w.map((x) => x.fds))}fd`);
}
console.log(`\nRSS/fds every 10 s (median RSS, min fds): ${trajectory.join(', ')}`);
console.log(`runs: ${runs} (${Object.entries(runsBy).map(([k, v]) => `${k} ${v}`).join(', ')}), processes killed: ${killedTotal}`);
console.log(`/healthz under load: ${loadResult.requests.total} requests, ${loadResult['2xx']} 2xx, ${healthzNon2xx} non-2xx, latency p50 ${loadResult.latency.p50} ms, p99 ${loadResult.latency.p99} ms, max ${loadResult.latency.max} ms`);
if (pollStats.unexpected.size > 0) console.log(`published results other than expected (probe: times seen): ${[...pollStats.unexpected].map(([p, n]) => `${p} ${n}`).join(', ')}`);
console.log(`logs: ${logs.length} lines, ${stateLines} state changes, ${replaced} worker replacements, ${errorLogs.length} errors`);
console.log('');
for (const [name, ok, figures] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${figures}`);
console.log(`\nSOAK_SUMMARY ${JSON.stringify(summary)}`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
