/**
 * Worker faults through ProbePool itself (issue 6, item 2): a worker thread that throws, one
 * whose task rejects, one that blows its resourceLimits, and one that never answers again
 * (wedged after spawning its shell, so that only the main thread can still kill the probe).
 * Each run must end as `unknown` with a clear reason, the thread must be replaced, and the
 * next run of every probe must work. Faults are test-only hooks (workers/faults.ts), honoured
 * because EXECHEALTHZ_TEST_HOOKS=1 is set before the pool's threads start.
 */
import t, { type Test } from 'tap';
import { ProbePool } from '../src/probe/pool.js';
import type { ProbeResult, WorkerFault } from '../src/probe/result.js';
import { killMatching, livePidsMatching, uniqueSleep, waitFor, waitGone } from './helpers/procs.js';

process.env.EXECHEALTHZ_TEST_HOOKS = '1';

const WORKERS = 2;
const SLOTS = 3;
const GRACE_MS = 300;
/**
 * Budget of the runs that are not under test: long, because a new worker thread compiles the
 * TypeScript worker first (seconds on a busy machine), and the backstop counts from submission.
 */
const SLOW_OK_MS = 30_000;
/**
 * Product bug (see RELIABILITY.md): until the wedged thread has been found, terminated and has
 * exited, piscina still hands it new tasks, which then fail when it dies.
 */

interface Harness {
  pool: ProbePool;
  replaced: string[];
  killed: number[];
}

function makePool(t: Test, workers = WORKERS, slots = SLOTS): Harness {
  const replaced: string[] = [];
  const killed: number[] = [];
  const pool = new ProbePool(
    { workers, slots, backstopGraceMs: GRACE_MS },
    { onWorkerReplaced: (reason) => replaced.push(reason), onProcessesKilled: (n) => killed.push(n) },
  );
  t.teardown(() => pool.destroy());
  return { pool, replaced, killed };
}

function run(pool: ProbePool, slot: number, command: string, timeoutMs = SLOW_OK_MS, fault?: WorkerFault): Promise<ProbeResult> {
  return pool.run({ slot, command, timeoutMs, maxOutput: 1024, ...(fault ? { fault } : {}) });
}

/** Every thread has booted: each slot has run once (bounded: a few attempts). */
async function warm(pool: ProbePool, slots = SLOTS): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const results = await Promise.all(Array.from({ length: slots }, (_, slot) => run(pool, slot, 'true')));
    if (results.every((r) => r.status === 'success')) return;
  }
  throw new Error('the pool never warmed up');
}

/** After a fault: the pool has its threads again and every slot runs a probe to success. */
async function assertRecovered(t: Test, pool: ProbePool, workers = WORKERS, slots = SLOTS): Promise<void> {
  await waitFor(() => pool.threadCount === workers, 5000, 20).catch(() => undefined);
  t.equal(pool.threadCount, workers, `the pool is back to ${workers} threads`);
  const results = await Promise.all(Array.from({ length: slots }, (_, slot) => run(pool, slot, `echo next-${slot}`)));
  results.forEach((r, slot) => {
    t.equal(r.status, 'success', `slot ${slot}'s next run works${r.error ? ` (got: ${r.error})` : ''}`);
    t.equal(r.output, `next-${slot}\n`, `slot ${slot}'s output`);
  });
}

t.test('a healthy pool runs every slot', async (t) => {
  const { pool } = makePool(t);
  await warm(pool);
  await assertRecovered(t, pool);
});

t.test('a worker thread that crashes → unknown "worker failed: injected worker crash", thread replaced', async (t) => {
  const { pool } = makePool(t);
  await warm(pool); // threads are up before the crash
  const result = await run(pool, 0, 'echo never', SLOW_OK_MS, 'crash');
  t.equal(result.status, 'unknown');
  t.equal(result.error, 'worker failed: injected worker crash');
  t.equal(result.output, '');
  t.ok(result.durationMs < 2000, `answered after ${result.durationMs}ms, not at the backstop`);
  await assertRecovered(t, pool);
});

t.test('a task that rejects → unknown "worker failed: injected task failure", the pool keeps working', async (t) => {
  const { pool } = makePool(t);
  await warm(pool);
  const result = await run(pool, 1, 'echo never', SLOW_OK_MS, 'reject');
  t.equal(result.status, 'unknown');
  t.equal(result.error, 'worker failed: injected task failure');
  await assertRecovered(t, pool);
});

t.test('a worker that blows its resourceLimits → unknown with an out-of-memory reason, thread replaced', async (t) => {
  const { pool } = makePool(t);
  await warm(pool);
  const result = await run(pool, 2, 'echo never', SLOW_OK_MS, 'oom');
  t.equal(result.status, 'unknown');
  t.match(result.error, /^worker failed: .*(memory|resource limits)/i, `reason: ${result.error}`);
  t.ok(!/\n/.test(result.error ?? ''), 'the reason is one line');
  await assertRecovered(t, pool);
});

t.test('a worker wedged after spawning → unknown "worker unresponsive" at budget + grace, tree killed, thread replaced', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { pool, replaced, killed } = makePool(t);
  await warm(pool);
  const result = await run(pool, 0, `sleep ${s} & sleep ${s}`, 300, 'wedge');
  t.equal(result.status, 'unknown');
  t.equal(result.error, 'worker unresponsive');
  // Not before budget + grace; then the thread is found (event-loop sampling) and terminated.
  t.ok(result.durationMs >= 300 + GRACE_MS - 5 && result.durationMs < 300 + GRACE_MS + 1500, `answered after ${result.durationMs}ms (budget 300 + grace ${GRACE_MS})`);
  t.ok(result.killed >= 2, `the main thread killed the probe's tree (${result.killed})`);
  // At once, as the scheduler does: the next run of every probe, while the wedged thread is
  // still being found and terminated.
  await assertRecovered(t, pool);
  t.same(await waitGone(s), [], 'no process of the wedged run is left');
  await waitFor(() => replaced.includes('worker unresponsive'), 3000).catch(() => undefined);
  t.ok(replaced.includes('worker unresponsive'), `the wedged thread was terminated (${JSON.stringify(replaced)})`);
  t.ok(killed.reduce((a, b) => a + b, 0) >= 2, 'the kills were reported');
  await assertRecovered(t, pool);
});

t.test('a wedge on one slot does not stop another slot from getting its real answer (2 threads)', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const { pool } = makePool(t);
  await warm(pool);
  const wedged = run(pool, 0, `sleep ${s}`, 1000, 'wedge');
  await new Promise((r) => setTimeout(r, 100)); // the wedge has struck
  const t0 = performance.now();
  const other = await run(pool, 1, 'sleep 0.2; echo other');
  const waited = performance.now() - t0;
  t.equal(other.status, 'success', 'the other slot got its real result');
  t.equal(other.output, 'other\n');
  t.ok(waited < 1000, `within ${waited.toFixed(0)}ms, before the wedged run's backstop`);
  const w = await wedged;
  t.equal(w.error, 'worker unresponsive');
  t.same(await waitGone(s), []);
  await assertRecovered(t, pool);
});

t.test('a wedge on the only thread: runs sharing it still get an answer and leave nothing behind', async (t) => {
  const a = uniqueSleep();
  const b = uniqueSleep();
  t.teardown(() => [a, b].forEach(killMatching));
  const { pool } = makePool(t, 1, 2);
  await warm(pool, 2);
  // Slot 1's run starts first on the one thread, then slot 0's wedges that thread.
  const other = run(pool, 1, `sleep ${b}; echo never`);
  await waitFor(() => livePidsMatching(b).length > 0, 3000);
  const wedged = run(pool, 0, `sleep ${a}`, 300, 'wedge');
  const [w, o] = await Promise.all([wedged, other]);
  t.equal(w.status, 'unknown');
  t.equal(w.error, 'worker unresponsive');
  t.equal(o.status, 'unknown', 'the run that shared the terminated thread is unknown, not hung');
  t.match(o.error, /^worker failed: /, `reason: ${o.error}`);
  t.ok(o.durationMs < 5000, `answered after ${o.durationMs}ms, long before its own ${SLOW_OK_MS / 1000}s budget`);
  t.same(await waitGone(a), [], "the wedged run's tree is gone");
  t.same(await waitGone(b), [], "the other run's tree is gone too");
  await assertRecovered(t, pool, 1, 2);
});
