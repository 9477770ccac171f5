import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, httpGet, watchServer } from './helpers/server.js';
import { killMatching, uniqueSleep, waitFor } from './helpers/procs.js';

// The container's PID 1 duty, simulated as DESIGN §6 says: `unshare --pid --fork --mount-proc`
// makes a new PID namespace whose PID 1 is the command (tini, or the bare server), and
// every process of that namespace can be found on the host by its /proc/PID/ns/pid link.

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function namespaceSkipReason(): string | false {
  if (process.platform !== 'linux') return 'PID namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'not root: unshare --pid needs CAP_SYS_ADMIN';
  if (!which('unshare')) return 'unshare (util-linux) is not installed';
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '-e', ''], { encoding: 'utf8', timeout: 5000 });
  if (probe.status !== 0) return `unshare --pid --fork --mount-proc fails here: ${(probe.stderr || probe.error?.message || '').trim()}`;
  return false;
}
const noNamespace = namespaceSkipReason();
const TINI = which('tini');
const noTini = noNamespace || (TINI ? false : 'tini is not installed (apt-get install tini; .ci/run installs it)');

/** Linux reports start times in USER_HZ ticks, 100 per second on every mainstream architecture. */
const CLK_TCK = 100;
/**
 * A probe process older than this outlived its 100ms budget twenty times over: it leaked.
 * Generous, so that a CPU-starved machine does not fail the test; a real leak stays for good.
 */
const LEAK_MS = 2000;

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly ageMs: number;
  /** Its pid inside its own (innermost) namespace. */
  readonly nsPid: number;
  readonly cmdline: string;
}

function uptimeMs(): number {
  return Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
}

function readProc(pid: number, now = uptimeMs()): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const nsPids = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    return {
      pid,
      ppid: Number(rest[1]),
      state: rest[0]!,
      ageMs: now - (Number(rest[19]) / CLK_TCK) * 1000,
      nsPid: Number(nsPids.at(-1)),
      cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim(),
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Every process (zombies included) of the PID namespace `ns`, as seen from the host. */
function processesIn(ns: string): Proc[] {
  const now = uptimeMs();
  return allPids()
    .filter((pid) => pidNamespaceOf(pid) === ns)
    .map((pid) => readProc(pid, now))
    .filter((p): p is Proc => p !== undefined);
}

function childrenOf(ppid: number): Proc[] {
  const now = uptimeMs();
  return allPids()
    .map((pid) => readProc(pid, now))
    .filter((p): p is Proc => p !== undefined && p.ppid === ppid);
}

interface Namespace {
  readonly unshare: ChildProcess;
  readonly port: number;
  readonly logs: Array<Record<string, unknown>>;
  /** Host pid of the namespace's PID 1 (tini, or the server itself). */
  readonly init: number;
  /** The namespace, as /proc/PID/ns/pid names it. */
  readonly ns: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** SIGKILLs the namespace's init (the kernel then kills all of the namespace) and unshare. */
  destroy(): Promise<void>;
}

/** `unshare --pid --fork --mount-proc ...command`, resolved once the server logs its port. */
async function startInNamespace(command: string[]): Promise<Namespace> {
  const unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // a process group of its own, for cleanup
  });
  const { logs, stderr, port: logged, exited } = watchServer(unshare);
  let init: number | undefined;
  let ns: string | undefined;
  const destroy = async () => {
    if (init !== undefined) {
      try {
        process.kill(init, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (unshare.exitCode === null && unshare.signalCode === null) {
      try {
        process.kill(-unshare.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exited;
    }
  };
  try {
    const port = await Promise.race([
      logged,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no port logged within 10s: ${stderr()}`)), 10_000).unref()),
    ]);
    init = await waitFor(() => childrenOf(unshare.pid!)[0]?.pid, 5000);
    ns = await waitFor(() => pidNamespaceOf(init!), 5000);
    return { unshare, port, logs, init, ns, exited, stderr, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

function runsTotal(metrics: string, probe: string, result: string): number {
  const re = new RegExp(`^exechealthz_probe_runs_total\\{probe="${probe}",result="${result}"\\} (\\d+)`, 'm');
  return Number(re.exec(metrics)?.[1] ?? 0);
}

async function metricsOf(port: number): Promise<string> {
  return (await httpGet(port, '/metrics')).body;
}

function exitWithin(exited: Namespace['exited'], ms: number) {
  return Promise.race([
    exited,
    new Promise<{ code: null; signal: null; timedOut: true }>((r) => setTimeout(() => r({ code: null, signal: null, timedOut: true }), ms).unref()),
  ]);
}

t.test('under tini as PID 1: background children and timed-out runs leave no zombie, no stray; SIGTERM → exit 0', { skip: noTini }, async (t) => {
  const hang = uniqueSleep();
  t.teardown(() => killMatching(hang));
  const box = await startInNamespace([
    TINI!, '--', process.execPath, CLI,
    '--port', '0', '--address', '127.0.0.1', '--period', '10ms', '--timeout', '100ms',
    '--cmd', 'sleep 0.05 & sleep 0.05 & exit 0', '--url', '/bg',
    '--cmd', `sleep ${hang}`, '--url', '/hang',
  ]);
  t.teardown(() => box.destroy());

  const init = readProc(box.init)!;
  t.equal(init.nsPid, 1, 'tini is PID 1 of the namespace');
  t.match(init.cmdline, /tini/);
  const server = await waitFor(() => processesIn(box.ns).find((p) => p.ppid === box.init && p.nsPid === 2), 5000);
  t.ok(server, `the server runs under tini (host pid ${server.pid})`);
  t.notOk(
    box.logs.some((l) => String(l.msg).includes('PID 1')),
    'no PID-1 warning: the server is PID 2, tini is the init',
  );

  // The load: ≥ 200 runs that orphan two children each, ≥ 20 runs killed at their budget.
  let metrics = '';
  const loadStart = Date.now();
  const deadline = loadStart + 20_000;
  for (;;) {
    metrics = await metricsOf(box.port);
    if (runsTotal(metrics, '/bg', 'success') >= 200 && runsTotal(metrics, '/hang', 'timeout') >= 20) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const bg = runsTotal(metrics, '/bg', 'success');
  const timedOut = runsTotal(metrics, '/hang', 'timeout');
  t.ok(bg >= 200, `${bg} successful runs of the background-children probe (in ${Date.now() - loadStart}ms)`);
  t.ok(timedOut >= 20, `${timedOut} runs of the hanging probe killed at their 100ms budget`);

  // While the load goes on, look at every process of the namespace, 20 times over a second.
  // Probe processes come and go every few ms, so "0 processes" is never true mid-load; what
  // must be true is that none lives long: a zombie nobody reaps, or a process nobody killed,
  // would be older than LEAK_MS (twenty times the budget). Transient ones are counted, for the log.
  const leakedZombies = new Map<string, Proc>();
  const strays = new Map<string, Proc>();
  let transient = 0;
  let transientZombies = 0;
  let snapshots = 0;
  for (let i = 0; i < 20; i++) {
    const procs = processesIn(box.ns);
    if (procs.some((p) => p.pid === box.init) && procs.some((p) => p.pid === server.pid)) snapshots++;
    for (const p of procs) {
      if (p.pid === box.init || p.pid === server.pid) continue;
      const key = `${p.pid}:${p.cmdline}`;
      if (p.state === 'Z') {
        transientZombies++;
        if (p.ageMs > LEAK_MS) leakedZombies.set(key, p);
      } else {
        transient++;
        if (p.ageMs > LEAK_MS) strays.set(key, p);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(snapshots, 20, 'tini and the server were there in every snapshot');
  t.comment(`20 snapshots: ${transient} sightings of short-lived probe processes, ${transientZombies} of zombies about to be reaped`);
  const ranMs = readProc(server.pid)?.ageMs ?? 0;
  t.ok(ranMs > LEAK_MS + 500, `the load ran ${Math.round(ranMs)}ms: a leak from its first runs would be old enough to count`);
  t.same([...leakedZombies.values()], [], `no zombie older than ${LEAK_MS}ms in the namespace`);
  t.same([...strays.values()], [], `no process but tini and the server older than ${LEAK_MS}ms in the namespace`);
  const after = await metricsOf(box.port);
  t.ok(runsTotal(after, '/bg', 'success') > bg, 'the load was still running during the snapshots');

  // docker stop: SIGTERM to PID 1. tini forwards it; the server drains and exits 0; tini
  // exits with the server's status; unshare reports it.
  const t0 = performance.now();
  process.kill(box.init, 'SIGTERM');
  const end = await exitWithin(box.exited, 5000);
  const ms = performance.now() - t0;
  t.same([end.code, end.signal], [0, null], `tini exited 0 ${Math.round(ms)}ms after SIGTERM ${box.stderr()}`);
  t.ok(ms < 3000, 'promptly');
  const messages = box.logs.map((l) => String(l.msg));
  t.ok(messages.includes('draining'), 'the server drained');
  t.ok(messages.some((m) => m.startsWith('worker pool destroyed')), 'to the end');
  // The kernel kills whatever is left when a namespace's init exits, so this cannot fail
  // after a clean exit; it guards the cleanup of a failed run.
  t.same(processesIn(box.ns), [], 'nothing is left of the namespace');
});

t.test('bare, as PID 1: one warning naming tini, zombies pile up (why the image has tini), SIGTERM still drains → exit 0', { skip: noNamespace }, async (t) => {
  const hang = uniqueSleep();
  t.teardown(() => killMatching(hang));
  const box = await startInNamespace([
    process.execPath, CLI,
    '--port', '0', '--address', '127.0.0.1', '--period', '20ms', '--timeout', '5s',
    '--cmd', 'sleep 0.02 & exit 0', '--url', '/bg',
    '--cmd', `sleep ${hang}`, '--url', '/hang',
  ]);
  t.teardown(() => box.destroy());

  t.equal(readProc(box.init)?.nsPid, 1, 'the server is PID 1 of the namespace');
  const pid1 = box.logs.filter((l) => String(l.msg).includes('PID 1'));
  t.equal(pid1.length, 1, 'exactly one log line about PID 1');
  t.ok(['warn', 40].includes(pid1[0]?.level as string), `a warning (level ${String(pid1[0]?.level)})`);
  t.match(String(pid1[0]?.msg), /tini/, 'naming tini');
  t.match(String(pid1[0]?.msg), /docker run --init/, 'and docker run --init');
  t.equal(pid1[0]?.pid, 1, 'logged by PID 1');

  // Control for the tini case: the same detector does see zombies when nobody reaps them.
  // Each /bg run orphans a `sleep 0.02`; reparented to a bare Node PID 1, it stays a zombie.
  const deadline = Date.now() + 10_000;
  let zombies: Proc[] = [];
  while (Date.now() < deadline) {
    zombies = processesIn(box.ns).filter((p) => p.state === 'Z' && p.ageMs > LEAK_MS);
    if (zombies.length >= 5) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(zombies.length >= 5, `${zombies.length} zombies older than ${LEAK_MS}ms under a bare Node PID 1`);
  t.ok(zombies.every((z) => z.ppid === box.init), 'all orphans of the server');

  // A /hang run is in flight (5s budget, runs back to back): the drain must kill it.
  const inFlight = await waitFor(() => processesIn(box.ns).find((p) => p.cmdline.includes(hang) && p.state !== 'Z'), 5000);
  t.ok(inFlight, `a probe is running (host pid ${inFlight.pid})`);

  const t0 = performance.now();
  process.kill(box.init, 'SIGTERM');
  const end = await exitWithin(box.exited, 5000);
  const ms = performance.now() - t0;
  t.same([end.code, end.signal], [0, null], `exited 0 ${Math.round(ms)}ms after SIGTERM ${box.stderr()}`);
  t.ok(ms < 3000, 'promptly');
  const messages = box.logs.map((l) => String(l.msg));
  t.ok(messages.includes('draining'), 'the server drained');
  const killed = box.logs.find((l) => String(l.msg).startsWith('stopped scheduling'));
  t.ok(Number(killed?.killed) >= 1, `the running probe was killed by the drain (killed: ${String(killed?.killed)})`);
  t.ok(messages.some((m) => m.startsWith('worker pool destroyed')), 'to the end');
  t.same(processesIn(box.ns), [], 'nothing is left of the namespace');
});
