/**
 * Shared helpers of the benchmarks: statistics, child processes (always killed by pid or
 * process group, never by name), /proc reading, HTTP load (wrk when installed, else
 * autocannon) and the BENCHMARKS.md writer. Loopback only.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
export const LIB = dirname(fileURLToPath(import.meta.url));
export const HOST = '127.0.0.1';

// ---------------------------------------------------------------- statistics

export function sorted(values) {
  return [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}
/** Nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}
export const median = (values) => {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const min = (values) => Math.min(...sorted(values));
export const max = (values) => Math.max(...sorted(values));

/** "median (min–max, n=N)" with `digits` decimals. */
export function spread(values, digits = 1, unit = '') {
  const s = sorted(values);
  if (s.length === 0) return 'n/a';
  const f = (v) => fmt(v, digits) + unit;
  return s.length === 1 ? f(s[0]) : `${f(median(s))} (${f(s[0])}–${f(s[s.length - 1])}, n=${s.length})`;
}
export function fmt(v, digits = 1) {
  if (!Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 10_000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(digits);
}

// ---------------------------------------------------------------- environment

export function environment() {
  let nproc = availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    /* keep availableParallelism */
  }
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    /* not Linux */
  }
  return { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), nproc, node: process.version, load };
}

// ---------------------------------------------------------------- processes

const started = new Set();

/** Spawns a process in its own process group, tracked so that `cleanup()` can end it. */
export function startProcess(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** Kills one child we started, and its process group, by id. Resolves when it has exited. */
export async function stopProcess(child, signal = 'SIGKILL') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  // Probes lead their own process groups: note them first, to kill them by pid afterwards.
  const tree = descendants(child.pid);
  const gone = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
  await Promise.race([gone, sleep(3000)]);
  killLeftovers(tree);
}

/** SIGKILLs, by pid, every process of a snapshot that is still the same process and alive. */
export function killLeftovers(snapshot) {
  let n = 0;
  for (const s of snapshot) {
    if (!alive(s.pid, s.starttime)) continue;
    try {
      process.kill(s.pid, 'SIGKILL');
      n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

/** Asks an IPC helper to exit cleanly, then makes sure it and its probes are gone. */
export async function stopHelper(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const tree = descendants(child.pid);
  try {
    await ask(child, { type: 'exit' }, 5000);
  } catch {
    /* kill below */
  }
  await Promise.race([new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve))), sleep(2000)]);
  await stopProcess(child);
  killLeftovers(tree);
}

export async function cleanup() {
  await Promise.all([...started].map((c) => stopProcess(c)));
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    for (const c of started) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of started) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** Reads the lines a child writes on stdout until `test(line)` returns a value. */
export function waitForLine(child, test, timeoutMs = 10_000, stream = child.stdout) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out waiting for a line (${buffer.slice(-300)})`));
    }, timeoutMs);
    const onData = (chunk) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const value = test(line);
        if (value !== undefined && value !== false) {
          clearTimeout(timer);
          stream.off('data', onData);
          stream.resume();
          resolve(value);
          return;
        }
      }
    };
    stream.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before the expected line: ${buffer.slice(-300)}`));
    });
  });
}

/** Starts `node dist/src/cli.js --port 0 --address 127.0.0.1 ...flags`; resolves {child, port}. */
export async function startCli(flags = [], { nodeArgs = [], env } = {}) {
  const child = startProcess(process.execPath, [...nodeArgs, CLI, '--port', '0', '--address', HOST, ...flags], {
    env: env ?? process.env,
  });
  child.stderr.resume();
  const port = await waitForLine(child, (line) => {
    const m = /"port":(\d+)/.exec(line);
    return m ? Number(m[1]) : undefined;
  });
  // Keep the log lines (bounded) for benchmarks that read the drain's own timings.
  child.logLines = [];
  let rest = '';
  child.stdout.on('data', (d) => {
    rest += d;
    const lines = rest.split('\n');
    rest = lines.pop();
    if (child.logLines.length < 200) child.logLines.push(...lines);
  });
  return { child, port };
}

/** Starts a helper of lib/ that prints `{"port":N}` (or any JSON line with port). */
export async function startHelper(file, args = [], options = {}) {
  const child = startProcess(process.execPath, [join(LIB, file), ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], ...options });
  child.stderr.on('data', (d) => process.stderr.write(`[${file}] ${d}`));
  const port = await waitForLine(child, (line) => {
    const m = /"port":(\d+)/.exec(line);
    return m ? Number(m[1]) : undefined;
  }, 15_000);
  child.stdout.resume();
  return { child, port };
}

/** Sends a request over IPC to a helper and waits for the reply of the same `id`. */
let nextId = 1;
export function ask(child, message, timeoutMs = 20_000) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no IPC reply to ${message.type}`)), timeoutMs);
    const onMessage = (reply) => {
      if (reply?.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(reply);
    };
    child.on('message', onMessage);
    child.send({ ...message, id });
  });
}

// ---------------------------------------------------------------- /proc

export function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]), starttime: f[19] };
  } catch {
    return undefined;
  }
}
export function allStats() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}
/** Live (non-zombie) descendants of `root`. */
export function descendants(root, stats = allStats()) {
  const kids = new Map();
  for (const s of stats) {
    if (!kids.has(s.ppid)) kids.set(s.ppid, []);
    kids.get(s.ppid).push(s);
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    for (const s of kids.get(stack.pop()) ?? []) {
      out.push(s);
      stack.push(s.pid);
    }
  }
  return out.filter((s) => s.state !== 'Z' && s.state !== 'X');
}
/** Alive = exists, same start time (no pid reuse), not a zombie. */
export function alive(pid, starttime) {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X' && (starttime === undefined || s.starttime === starttime);
}
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
/** CPU seconds of a process (own, and its reaped children). */
export function cpuSeconds(pid) {
  const s = readStat(pid);
  if (!s) return { own: NaN, children: NaN };
  return { own: (s.utime + s.stime) / CLK_TCK, children: (s.cutime + s.cstime) / CLK_TCK };
}

// ---------------------------------------------------------------- HTTP load

export function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its banner
    return err.status === 1;
  }
}
export const LOAD_TOOL = hasWrk() ? 'wrk' : 'autocannon';

/**
 * Loads http://127.0.0.1:port/path with `connections` connections for `seconds`.
 * Returns {rps, p50, p99, non2xx, errors} (latencies in ms). wrk runs with one thread (the
 * other core is the server's); autocannon runs in a child process for the same reason.
 */
export async function load({ port, path = '/healthz', connections = 50, seconds = 4 }) {
  const url = `http://${HOST}:${port}${path}`;
  if (LOAD_TOOL === 'wrk') return wrk(url, connections, seconds);
  return autocannonChild(url, connections, seconds);
}

const WRK_LUA = join(LIB, 'wrk-report.lua');

async function wrk(url, connections, seconds) {
  const child = startProcess('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', WRK_LUA, url]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const m = /^JSON (.*)$/m.exec(out);
  if (!m) throw new Error(`wrk failed (${code}): ${out}`);
  const r = JSON.parse(m[1]);
  return { rps: r.requests / r.duration_s, p50: r.p50_us / 1000, p99: r.p99_us / 1000, max: r.max_us / 1000, non2xx: r.non2xx, errors: r.errors, tool: 'wrk' };
}

async function autocannonChild(url, connections, seconds) {
  const child = startProcess(process.execPath, [join(LIB, 'autocannon-run.mjs'), url, String(connections), String(seconds)]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => process.stderr.write(d));
  await new Promise((resolve) => child.once('exit', resolve));
  return { ...JSON.parse(out), tool: 'autocannon' };
}

// ---------------------------------------------------------------- report

export const BENCHMARKS_MD = join(ROOT, 'BENCHMARKS.md');

/**
 * One benchmark's section of BENCHMARKS.md: a header block (date, nproc, Node, command) and
 * a table of figures with their target and verdict.
 */
export function section({ name, title, command, env, intro = '', rows, notes = [], extra = '' }) {
  const lines = [`## ${title}`, ''];
  if (intro) lines.push(intro, '');
  lines.push(`Run ${env.date} · nproc ${env.nproc} · Node ${env.node} · load average at start ${env.load} · HTTP load: ${env.loadTool ?? LOAD_TOOL}`, '');
  lines.push(`Command: \`${command}\``, '');
  lines.push('| figure | result: median (min–max, n) | target | verdict |', '| --- | --- | --- | --- |');
  for (const r of rows) lines.push(`| ${r.figure} | ${r.value} | ${r.target ?? ''} | ${r.verdict ?? ''} |`);
  lines.push('');
  if (extra) lines.push(extra, '');
  for (const n of notes) lines.push(`- ${n}`);
  if (notes.length) lines.push('');
  return { name, markdown: lines.join('\n').trimEnd() + '\n' };
}

export const verdict = (ok) => (ok ? 'pass' : '**miss**');

/** Replaces the marked section `name` of BENCHMARKS.md (or appends it), keeping everything else. */
export function writeSection(name, markdown) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trimEnd()}\n${end}`;
  let text = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : '# Benchmarks\n';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i !== -1 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(BENCHMARKS_MD, text);
}

/** For `node scripts/bench/<name>.mjs`: run, print, write the section, clean up. */
export async function runAlone(bench) {
  try {
    const result = await bench.run({ env: { ...environment(), loadTool: LOAD_TOOL } });
    process.stdout.write(result.markdown);
    writeSection(result.name, result.markdown);
  } catch (err) {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

export function isMain(metaUrl) {
  return process.argv[1] && fileURLToPath(metaUrl) === process.argv[1];
}

/** A B A B…: runs every function of `fns` once per round, in the same order, `rounds` times. */
export async function alternate(rounds, fns) {
  const results = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(fns)) results[k].push(await fns[k](r));
  }
  return results;
}

/** Median of the per-round ratios a[i] / b[i]. */
export function medianRatio(a, b) {
  return median(a.map((v, i) => v / b[i]));
}
