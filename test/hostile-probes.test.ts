/**
 * Hostile probes, end to end through the real CLI (issue 6, item 1). Each test starts a
 * server with the hostile probe at /hostile and a well-behaved one at /ok, then checks:
 *  - what /hostile publishes (the test's name says what a user should expect);
 *  - that /ok keeps answering 200 within a generous bound while the hostile probe runs;
 *  - that no process of the hostile probe's tree is left, in the real process table: every
 *    process the server starts inherits a unique environment tag, so escapees that left the
 *    group and the session are found too (zombies count as dead, DESIGN §6).
 * `--period 1h` makes each probe run exactly once, so "nothing is left" is not blurred by a
 * second run starting.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, attachServer, httpGet, pollUntil, startServer, type RunningServer } from './helpers/server.js';
import { killMatching, livePidsMatching, uniqueSleep } from './helpers/procs.js';

/**
 * Other probes must keep answering within this. Generous on purpose (timings belong to
 * benchmarks): a main thread blocked by a probe would show seconds, while three hostile cases
 * at once under coverage on a shared 2-core machine were seen at 550 ms.
 */
const CONTROL_BOUND_MS = 1000;

// ---------------------------------------------------------------------------------------
// /proc helpers local to this file (test/helpers is owned elsewhere)

interface Stat {
  pid: number;
  ppid: number;
  state: string;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Live (not zombie) processes whose environment carries `TAG=tag`, except `exclude`. */
function liveTagged(tag: string, exclude: readonly number[] = []): number[] {
  const marker = Buffer.from(`HOSTILE_TAG=${tag}\0`);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || exclude.includes(pid)) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    if (environ.indexOf(marker) === -1) continue;
    const s = readStat(pid);
    if (s && s.state !== 'Z' && s.state !== 'X') found.push(pid);
  }
  return found;
}

/**
 * The same scan without blocking this process's event loop: several cases run at once here,
 * and a synchronous scan of a few hundred processes (the fan-out) would delay the other
 * cases' HTTP requests and be mistaken for a slow server.
 */
async function liveTaggedAsync(tag: string, exclude: readonly number[]): Promise<number[]> {
  const marker = Buffer.from(`HOSTILE_TAG=${tag}\0`);
  const names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid && !exclude.includes(Number(n)));
  const found: number[] = [];
  for (let i = 0; i < names.length; i += 32) {
    await Promise.all(
      names.slice(i, i + 32).map(async (name) => {
        try {
          if ((await readFile(`/proc/${name}/environ`)).indexOf(marker) === -1) return;
          const stat = await readFile(`/proc/${name}/stat`, 'latin1');
          const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
          if (state !== 'Z' && state !== 'X') found.push(Number(name));
        } catch {
          /* gone */
        }
      }),
    );
  }
  return found;
}

async function waitTaggedGone(tag: string, exclude: readonly number[], timeoutMs = 3000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await liveTaggedAsync(tag, exclude);
    if (live.length === 0 || Date.now() > deadline) return live;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function killTagged(tag: string, exclude: readonly number[] = []): void {
  for (const pid of liveTagged(tag, exclude)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function vmRssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// ---------------------------------------------------------------------------------------
// HTTP helpers

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET that keeps the body as bytes, so that its UTF-8 validity can be checked. */
function rawGet(port: number, path: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** GETs /ok every 50 ms until stopped (bounded), recording the slowest answer and any non-200. */
function watchControl(port: number) {
  let stopped = false;
  let max = 0;
  let count = 0;
  const bad: string[] = [];
  const loop = (async () => {
    for (let i = 0; i < 2000 && !stopped; i++) {
      const t0 = performance.now();
      try {
        const r = await httpGet(port, '/ok');
        if (r.status !== 200) bad.push(`${r.status} ${r.body.trim()}`);
      } catch (err) {
        bad.push((err as Error).message);
      }
      max = Math.max(max, performance.now() - t0);
      count++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return { max, count, bad };
  };
}

// ---------------------------------------------------------------------------------------
// The harness

interface ProbeJson {
  status: string;
  state: string;
  pending: boolean;
  reason: string | null;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string | null;
  outputBytes: number;
  truncated: boolean;
  durationMs: number | null;
  command?: string;
}

interface Outcome {
  server: RunningServer;
  text: RawReply;
  json: ProbeJson;
}

/**
 * Runs `command` once as /hostile beside /ok, and returns what /hostile published. Asserts on
 * the way that /ok kept answering and that nothing of the server's probes is left alive.
 */
async function hostile(t: Test, command: string, extraArgs: string[] = [], resultWithinMs = 15_000): Promise<Outcome> {
  const tag = randomUUID();
  const server = await startServer(
    ['--cmd', 'echo ok', '--url', '/ok', '--cmd', command, '--url', '/hostile', '--period', '1h', '--latency', '2h', ...extraArgs],
    { HOSTILE_TAG: tag },
  );
  const serverPid = server.proc.pid!;
  t.teardown(async () => {
    await server.kill();
    killTagged(tag);
  });

  await pollUntil(server, '/ok', (r) => r.status === 200, 5000);
  const stopWatch = watchControl(server.port);
  let json: ProbeJson;
  try {
    // The first run of /hostile starts half a second after /ok's (staggered starts).
    json = await waitForAsync(
      async () => {
        const r = await rawGet(server.port, '/hostile?format=json');
        const parsed = JSON.parse(r.body.toString('utf8')) as ProbeJson;
        return parsed.pending ? undefined : parsed;
      },
      resultWithinMs,
      50,
    );
  } catch (err) {
    await stopWatch();
    throw err;
  }
  const text = await rawGet(server.port, '/hostile');
  const survivors = await waitTaggedGone(tag, [serverPid]);
  const control = await stopWatch();

  t.same(survivors, [], "no process of the probe's tree is left alive (checked in /proc by environment tag)");
  t.same(control.bad, [], '/ok answered 200 every time while the hostile probe ran');
  t.ok(control.count > 0, `/ok was asked ${control.count} times`);
  t.ok(control.max < CONTROL_BOUND_MS, `/ok's slowest answer took ${control.max.toFixed(1)}ms (bound ${CONTROL_BOUND_MS}ms)`);
  t.equal(server.proc.exitCode, null, 'the server is still running');
  return { server, text, json };
}

/** waitFor with an async check (the helper's is synchronous). */
async function waitForAsync<T>(check: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function metricValue(server: RunningServer, pattern: RegExp): Promise<number> {
  const r = await server.get('/metrics');
  const m = pattern.exec(r.body);
  return m ? Number(m[1]) : NaN;
}

// ---------------------------------------------------------------------------------------
// The cases. Each mostly waits on its probe and its server, so a few run at once.

t.jobs = 3;
// The 1,000-failure case needs 2,000 runs at a 10 ms period (~25 s alone); on a machine shared
// with other test files that can pass tap's default 60 s per file.
t.setTimeout(150_000);

// The longest case first, so that the short ones run beside it.
/**
 * RSS readings for the 1,000-failure case. V8 collects lazily: without help, a server running
 * `exit 1` every 10 ms went 86 → 124 MB over 4,000 runs and fell back to 86 MB at the next
 * major collection of its worker thread, so two plain readings mostly measure GC timing. The
 * server therefore gets a test-only preload (NODE_OPTIONS --require, which also runs in worker
 * threads): on SIGUSR2 the main thread runs gc() and asks every worker thread to do the same.
 * Each reading follows a full collection of every heap. Even so, RSS (anonymous memory: JIT
 * code, allocator arenas) grows by ~10 MB over the first ~1,300 runs and is flat afterwards
 * (measured after GC: 89 MB at run 300, 100 MB at 1,300, 100 MB at 3,300), so the measured
 * 1,000 runs follow a warm-up of 1,000. The main thread's live heap, where results are kept,
 * is checked too: it must not grow with the number of failures.
 */
const GC_HOOK = join(tmpdir(), `exechealthz-gc-hook-${process.pid}.cjs`);
const GC_HOOK_SOURCE = `const { isMainThread, BroadcastChannel } = require('node:worker_threads');
const channel = new BroadcastChannel('exechealthz-test-gc');
channel.unref();
if (isMainThread) process.on('SIGUSR2', () => { globalThis.gc?.(); channel.postMessage('gc'); });
else channel.onmessage = () => globalThis.gc?.();
`;
const WARM_RUNS = 1000;

async function afterGc(server: RunningServer): Promise<{ rssKb: number; heapUsedMb: number }> {
  process.kill(server.proc.pid!, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  const heap = await metricValue(server, /^nodejs_heap_size_used_bytes ([0-9.e+]+)/m);
  return { rssKb: vmRssKb(server.proc.pid!), heapUsedMb: heap / 1048576 };
}

/**
 * startServer without tap's coverage: tap's processinfo puts itself back into NODE_OPTIONS of
 * every child a test spawns, and its instrumentation costs memory of its own (13% RSS growth
 * over the runs below, against 3% without). `env -u NODE_OPTIONS` runs the server as shipped.
 */
function startUninstrumented(args: string[], env: Record<string, string>): Promise<RunningServer> {
  const settings = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const proc = spawn('env', ['-u', 'NODE_OPTIONS', ...settings, process.execPath, CLI, '--port', '0', '--address', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return attachServer(proc);
}

t.test('exits non-zero 1,000 times at --period 10ms → 503 throughout, RSS flat, one log line for one state change', async (t) => {
  writeFileSync(GC_HOOK, GC_HOOK_SOURCE);
  t.teardown(() => rmSync(GC_HOOK, { force: true }));
  const tag = randomUUID();
  const server = await startUninstrumented(['--cmd', 'echo ok', '--url', '/ok', '--cmd', 'exit 1', '--url', '/hostile', '--period', '10ms'], {
    HOSTILE_TAG: tag,
    NODE_OPTIONS: `--expose-gc --require=${GC_HOOK}`,
  });
  const pid = server.proc.pid!;
  t.teardown(async () => {
    await server.kill();
    killTagged(tag);
  });
  const failures = () => metricValue(server, /^exechealthz_probe_runs_total\{probe="\/hostile",result="failure"\} (\d+)/m);
  await pollUntil(server, '/ok', (r) => r.status === 200, 5000);
  // The product runs probes at nice 10 so that HTTP wins the CPU; on a machine shared with
  // other test files that slows a 10 ms period to a few runs a second. This test is about
  // memory and logs over 1,000 runs, not scheduling: lift every thread of the server back to
  // nice 0 (the worker has set its own nice by now, having answered /ok).
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      setPriority(Number(tid), 0);
    } catch {
      /* thread gone */
    }
  }
  const stopWatch = watchControl(server.port);
  const statuses = new Set<number>();
  const waitRuns = (n: number, withinMs: number) =>
    waitForAsync(
      async () => {
        statuses.add((await server.get('/hostile')).status);
        const runs = await failures();
        return runs >= n ? runs : undefined;
      },
      withinMs,
      200,
    );
  const warm = await waitRuns(WARM_RUNS, 60_000);
  const before = await afterGc(server);
  const runs = await waitRuns(warm + 1000, 60_000);
  const after = await afterGc(server);
  const rssWarm = before.rssKb;
  const rssEnd = after.rssKb;
  const control = await stopWatch();

  t.ok(runs - warm >= 1000, `${runs - warm} failed runs measured (after ${warm} warm-up runs)`);
  t.same([...statuses], [503], 'answered 503 every time it was asked');
  const growth = (rssEnd - rssWarm) / rssWarm;
  t.ok(growth <= 0.1, `VmRSS after GC ${rssWarm} kB at run ${warm} → ${rssEnd} kB at run ${runs} (${(growth * 100).toFixed(1)}%, limit 10%)`);
  t.ok(
    after.heapUsedMb - before.heapUsedMb <= 1,
    `main-thread heap in use after GC ${before.heapUsedMb.toFixed(2)} → ${after.heapUsedMb.toFixed(2)} MB (nothing kept per failed run; limit +1 MB)`,
  );
  const lines = server.logs.filter((l) => l.probe === '/hostile');
  t.equal(lines.length, 1, 'one log line for /hostile: its one state change (unknown → unhealthy)');
  t.match(lines[0], { to: 'unhealthy', reason: 'exit status 1' });
  t.ok(server.logs.length <= 4, `${server.logs.length} log lines in all (start-up and two state changes)`);
  t.same(control.bad, []);
  t.ok(control.max < CONTROL_BOUND_MS, `/ok's slowest answer took ${control.max.toFixed(1)}ms`);

  // Stop the runs (SIGTERM drains and kills what is running), then nothing may be left.
  process.kill(pid, 'SIGTERM');
  const exit = await server.exited;
  t.equal(exit.code, 0, 'drained and exited 0');
  t.same(await waitTaggedGone(tag, []), [], 'no probe process is left');
});

t.test('fan-out: 300 background sleeps then exit 0 → 200 ok, all 300 killed', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { server, text, json } = await hostile(t, `i=0; while [ $i -lt 300 ]; do sleep ${s} & i=$((i+1)); done; exit 0`);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'ok');
  t.equal(json.status, 'success');
  t.same(livePidsMatching(s), [], 'no sleep is left');
  const killed = await metricValue(server, /^exechealthz_processes_killed_total (\d+)/m);
  t.ok(killed >= 300, `the 300 leftovers were counted as killed (${killed})`);
});

t.test('flood on stdout and stderr at once → 200 ok, output capped at --max-output, every byte counted', async (t) => {
  const { text, json } = await hostile(t, 'yes out | head -c 30000000 & yes err | head -c 30000000 >&2; wait');
  t.equal(text.status, 200);
  t.equal(json.status, 'success');
  t.equal(json.outputBytes, 60_000_000, 'both streams were drained to the end');
  t.equal(json.truncated, true);
  t.equal(Buffer.byteLength(json.output ?? ''), 10240, 'kept exactly the default 10 KiB');
  t.match(json.output ?? '', /^(out|err)\n/, 'the kept part is what the probe wrote');
});

t.test('one 50 MB line without a newline → 200 with the first 10 KiB of it, 50,000,000 bytes counted', async (t) => {
  const { text, json } = await hostile(t, "head -c 50000000 /dev/zero | tr '\\0' x", ['--output']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'x'.repeat(10240), 'the body is the kept part of the line');
  t.equal(json.outputBytes, 50_000_000);
  t.equal(json.truncated, true);
});

t.test('invalid UTF-8 and NUL bytes → 503 exit status 1, text body valid UTF-8 with U+FFFD, JSON parseable', async (t) => {
  const { server, text } = await hostile(t, "printf 'bad:\\377\\376 nul:\\000 end\\n'; exit 1");
  t.equal(text.status, 503);
  let body = '';
  t.doesNotThrow(() => (body = strictUtf8.decode(text.body)), 'the text body is valid UTF-8');
  t.match(body, /bad:\uFFFD\uFFFD nul:\0 end\n, at .*, error exit status 1\n$/, 'bad bytes became U+FFFD, the NUL is kept, the reason follows');
  t.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
  const raw = await rawGet(server.port, '/hostile?format=json');
  let parsed: ProbeJson | undefined;
  t.doesNotThrow(() => (parsed = JSON.parse(strictUtf8.decode(raw.body)) as ProbeJson), 'the JSON body is valid UTF-8 and parses');
  t.equal(parsed?.output, 'bad:\uFFFD\uFFFD nul:\0 end\n');
  t.equal(parsed?.exitCode, 1);
});

t.test('closes stdout and stderr, then sleeps past the budget → 503 timed out after 1s, answered at the budget', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text, json } = await hostile(t, `exec >&- 2>&-; sleep ${s}`, ['--timeout', '1s']);
  t.equal(text.status, 503);
  t.match(text.body.toString(), /error timed out after 1s\n$/);
  t.equal(json.timedOut, true);
  t.ok(json.durationMs! >= 1000 && json.durationMs! < 1500, `ended ${json.durationMs}ms after start (budget 1000ms)`);
});

t.test('reads stdin → EOF at once, 200 with its output', async (t) => {
  const { text, json } = await hostile(t, 'cat; if read line; then echo "read: $line"; else echo "stdin at EOF"; fi', ['--output', '--timeout', '5s']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'stdin at EOF\n');
  t.ok(json.durationMs! < 1000, `ended after ${json.durationMs}ms, not at the 5s budget`);
});

t.test('kills its own process group (kill -9 0) → 503 signal: killed, its background child gone', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text, json } = await hostile(t, `sleep ${s} & kill -9 0`);
  t.equal(text.status, 503);
  t.match(text.body.toString(), /error signal: killed\n$/);
  t.equal(json.signal, 'SIGKILL');
  t.equal(json.timedOut, false);
});

t.test('kills its own shell (kill -9 $$) → 503 signal: killed, its background child gone', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text, json } = await hostile(t, `sleep ${s} & echo before; kill -9 $$; echo never`);
  t.equal(text.status, 503);
  t.match(text.body.toString(), /Result of last exec: before\n, at .*, error signal: killed\n$/);
  t.equal(json.signal, 'SIGKILL');
  t.same(livePidsMatching(s), []);
});

t.test('execs into another program → that program\'s result (503 exit status 3), the shell\'s child gone', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text } = await hostile(t, `sleep ${s} & exec sh -c 'echo replaced; exit 3'`);
  t.equal(text.status, 503);
  t.match(text.body.toString(), /Result of last exec: replaced\n, at .*, error exit status 3\n$/);
});

t.test('execs into a program that outlives the budget → 503 timed out after 1s, the program killed', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text, json } = await hostile(t, `exec sleep ${s}`, ['--timeout', '1s']);
  t.equal(text.status, 503);
  t.match(text.body.toString(), /error timed out after 1s\n$/);
  t.ok(json.durationMs! < 1500, `ended ${json.durationMs}ms after start`);
});

t.test('changes its process group (setsid child), shell exits → 200 ok, the setsid child killed', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text, json } = await hostile(t, `setsid sleep ${s} & echo started`, ['--output']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'started\n');
  t.ok(json.durationMs! < 1000, `did not wait for the child holding the pipe (${json.durationMs}ms)`);
  t.same(livePidsMatching(s), []);
});

t.test('changes its process group (set -m job control) → 200 ok, the background job killed', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  // dash turns job control off without a tty; bash keeps it and gives the job its own group.
  const { text } = await hostile(t, `bash -c 'set -m; sleep ${s} & echo job started'`, ['--output']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'job started\n');
  t.same(livePidsMatching(s), []);
});

t.test('changes its process group and outlives the budget (setsid + set -m) → 503 timed out, all killed', async (t) => {
  const a = uniqueSleep();
  const b = uniqueSleep();
  t.teardown(() => [a, b].forEach(killMatching));
  const { text } = await hostile(t, `setsid sleep ${a} & bash -c 'set -m; sleep ${b} & wait'`, ['--timeout', '1s']);
  t.equal(text.status, 503);
  t.match(text.body.toString(), /error timed out after 1s\n$/);
  t.same([...livePidsMatching(a), ...livePidsMatching(b)], []);
});

t.test('double-forks (setsid -f) → 200 ok, the daemon swept', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { text } = await hostile(t, `setsid -f sleep ${s}; echo forked`, ['--output']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'forked\n');
  t.same(livePidsMatching(s), []);
});

t.test('a 120 KB command → 200 with its output', async (t) => {
  const command = `echo big-command-ran #${'x'.repeat(120_000)}`;
  const { text, json } = await hostile(t, command, ['--output']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'big-command-ran\n');
  t.equal(json.command?.length, command.length, 'the JSON view shows the whole command');
});

t.test('a command of 131,071 bytes (the most Linux passes in one argument) → runs, 200', async (t) => {
  const head = 'echo largest-command-ran #';
  const command = head + 'x'.repeat(131_071 - head.length);
  t.equal(Buffer.byteLength(command), 131_071);
  const { text } = await hostile(t, command, ['--output']);
  t.equal(text.status, 200);
  t.equal(text.body.toString(), 'largest-command-ran\n');
});

t.test('a command above 131,071 bytes → usage error at start (exit 2), not E2BIG at every run', async (t) => {
  // execve refuses an argument of 131,072 bytes or more, so such a command can only reach the
  // CLI as bytes that grow when decoded: 50,000 invalid bytes become 50,000 U+FFFD (150,000 bytes).
  const direct = spawnSync(process.execPath, [CLI, '--cmd', 'x'.repeat(131_072)]);
  t.equal((direct.error as NodeJS.ErrnoException | undefined)?.code, 'E2BIG', 'a 131,072-byte argument does not even reach node');
  const r = spawnSync('/bin/bash', ['-c', `x=$(printf '\\377%.0s' $(seq 50000)); exec "$0" "$1" --cmd "echo $x" --port 0`, process.execPath, CLI], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(r.status, 2, 'exit status 2');
  t.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.split('\n').filter(Boolean);
  t.equal(lines.length, 1, 'one line on stderr');
  t.match(lines[0], /--cmd.*150005 bytes.*131071/);
});

t.test('a command with non-ASCII text → 200 with the text intact', async (t) => {
  const phrase = 'héllo wörld — ✓ 日本語 🚀';
  const { server, text, json } = await hostile(t, `echo '${phrase}'`, ['--output']);
  t.equal(text.status, 200);
  t.equal(strictUtf8.decode(text.body), `${phrase}\n`);
  t.equal(json.command, `echo '${phrase}'`);
  const index = await server.get('/');
  t.match(index.body, phrase, 'the index lists the command as written');
});

t.test('a command that writes only to stderr → 503 exit status 2, the stderr text in the body', async (t) => {
  const { text, json } = await hostile(t, "echo 'only on stderr' >&2; exit 2");
  t.equal(text.status, 503);
  t.match(text.body.toString(), /Result of last exec: only on stderr\n, at .*, error exit status 2\n$/);
  t.equal(json.output, 'only on stderr\n');
});

t.test('SIGTERM while probes leave setsid children every 10 ms → drains, exits 0, leaves nothing (5 drains)', async (t) => {
  // The soak found a setsid child alive after a drain: runs that finished just before the
  // drain, or spawned just after its kill, were left to the worker's sweep, which the drain
  // then terminated (fixed: the pool sweeps recent cookies after destroy). Five drains 300 ms
  // into the runs caught it most times.
  const leftovers: number[] = [];
  for (let cycle = 0; cycle < 5; cycle++) {
    const tag = randomUUID();
    const s = uniqueSleep();
    const args = ['--period', '10ms', '--timeout', '1s', '--workers', '1', '--cmd', 'cat /dev/zero', '--url', '/flood'];
    for (let k = 0; k < 6; k++) args.push('--cmd', `setsid sleep ${s} & echo s${k}`, '--url', `/s${k}`);
    const server = await startServer(args, { HOSTILE_TAG: tag });
    t.teardown(async () => {
      await server.kill();
      killTagged(tag);
      killMatching(s);
    });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(server.proc.pid!, 'SIGTERM');
    t.equal((await server.exited).code, 0, `drain ${cycle + 1}: exit status 0`);
    leftovers.push(...(await waitTaggedGone(tag, [], 500)));
    killTagged(tag);
  }
  t.same(leftovers, [], 'no probe process outlived any of the drains');
});

// ---------------------------------------------------------------------------------------
// The container layout: the same kind of probes under tini as PID 1 of a PID namespace.

function which(cmd: string): boolean {
  return spawnSync('/bin/sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const canNamespace = process.getuid?.() === 0 && which('unshare') && which('tini') && existsSync('/proc/self/ns/pid');
const tiniSkip = canNamespace ? false : 'needs root, unshare and tini (apt-get install -y tini)';

t.test('under tini in a PID namespace: hostile probes publish the same results, 0 zombies, nothing left', { skip: tiniSkip }, async (t) => {
  const tag = randomUUID();
  const a = uniqueSleep();
  const b = uniqueSleep();
  const c = uniqueSleep();
  const d = uniqueSleep();
  const e = uniqueSleep();
  t.teardown(() => [a, b, c, d, e].forEach(killMatching));
  const probes: Array<[string, string, number, RegExp]> = [
    ['/ok', 'echo ok', 200, /^ok$/],
    ['/fanout', `i=0; while [ $i -lt 100 ]; do sleep ${a} & i=$((i+1)); done; exit 0`, 200, /^ok$/],
    ['/killgroup', `sleep ${b} & kill -9 0`, 503, /error signal: killed\n$/],
    ['/setsid', `setsid sleep ${c} & echo s`, 200, /^ok$/],
    ['/daemon', `setsid -f sleep ${d}; echo f`, 200, /^ok$/],
    ['/budget', `setsid sleep ${e} & exec >&- 2>&-; sleep ${e}`, 503, /error timed out after 1s\n$/],
  ];
  const args = [CLI, '--port', '0', '--address', '127.0.0.1', '--period', '1h', '--latency', '2h', '--timeout', '1s'];
  for (const [path, cmd] of probes) args.push('--cmd', cmd, '--url', path);
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', 'tini', '--', process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOSTILE_TAG: tag },
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL'); // unshare and tini; the namespace dies with its PID 1
    } catch {
      /* gone */
    }
    killTagged(tag); // tini, the server and anything else that carries the tag
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      const m = /"port":(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
  });

  // Every probe has run once within about 2 s (1 s of stagger, 1 s of budget).
  for (const [path, , status, body] of probes) {
    const reply = await waitForAsync(
      async () => {
        const r = await httpGet(port, path);
        return /has no result yet/.test(r.body) ? undefined : r;
      },
      10_000,
      50,
    );
    t.equal(reply.status, status, `${path} answers ${status}`);
    t.match(reply.body, body, `${path}: ${reply.body.trim().slice(-60)}`);
  }

  // The namespace's processes are the descendants of unshare; tini (its PID 1) reaps orphans.
  const inNamespace = () => {
    const stats = allStats();
    const children = new Map<number, Stat[]>();
    for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
    const found: Stat[] = [];
    const stack = [proc.pid!];
    while (stack.length > 0) for (const s of children.get(stack.pop()!) ?? []) found.push(s), stack.push(s.pid);
    return found;
  };
  const tini = inNamespace().find((st) => st.ppid === proc.pid);
  const server = tini && inNamespace().find((st) => st.ppid === tini.pid && st.state !== 'Z');
  t.ok(tini && server, 'tini is PID 1 of the namespace and the server its child');
  const wrappers = [proc.pid!, tini?.pid ?? 0, server?.pid ?? 0]; // their command lines name every needle
  const zombies = await waitForAsync(
    async () => {
      const z = inNamespace().filter((st) => st.state === 'Z');
      return z.length === 0 ? z : undefined;
    },
    3000,
    50,
  ).catch(() => inNamespace().filter((st) => st.state === 'Z'));
  t.same(zombies, [], '0 zombies in the namespace');
  t.same(await waitTaggedGone(tag, wrappers), [], 'no probe process left in the namespace');
  t.same(
    [a, b, c, d, e].flatMap(livePidsMatching).filter((pid) => !wrappers.includes(pid)),
    [],
    'no sleep of any probe is left',
  );
  t.same(
    inNamespace().map((st) => st.pid).sort(),
    [tini?.pid, server?.pid].sort(),
    'the namespace holds tini and the server only',
  );

  // SIGTERM to tini, which forwards it: the server drains and everything exits 0.
  process.kill(tini!.pid, 'SIGTERM');
  t.equal(await exited, 0, 'tini exits with the server\'s status 0');
});
