import t from 'tap';
import { ProbePool } from '../src/probe/pool.js';
import { assertShellAvailable, pid1Warning } from '../src/lifecycle/preflight.js';
import { failureReason, goSignalName } from '../src/probe/reason.js';
import { killMatching, livePidsMatching, uniqueSleep, waitFor, waitGone } from './helpers/procs.js';

const run = (pool: ProbePool, command: string, slot = 0, timeoutMs = 2000) => pool.run({ slot, command, timeoutMs, maxOutput: 1024 });

t.test('runs probes on worker threads and reports results as data', async (t) => {
  const pool = new ProbePool({ workers: 1, slots: 2 });
  t.teardown(() => pool.destroy());
  await pool.ready(20_000);
  t.equal(pool.threadCount, 1);
  const [ok, bad] = await Promise.all([run(pool, 'echo hi', 0), run(pool, 'exit 7', 1)]);
  t.match(ok, { status: 'success', exitCode: 0, output: 'hi\n', timedOut: false });
  t.match(bad, { status: 'failure', exitCode: 7 });
  t.equal(failureReason(bad, 2000), 'exit status 7');
  t.equal(failureReason(ok, 2000), undefined);
});

t.test('many probes share one thread: a hung one does not delay another', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const pool = new ProbePool({ workers: 1, slots: 2 });
  t.teardown(() => pool.destroy());
  await pool.ready(20_000); // from source, a worker thread loads TypeScript first: seconds
  const hung = run(pool, `sleep ${s}`, 0, 3000);
  const t0 = performance.now();
  const quick = await run(pool, 'true', 1);
  t.equal(quick.status, 'success');
  t.ok(performance.now() - t0 < 1500, 'answered while the other run hangs');
  t.equal((await hung).timedOut, true);
});

t.test('killRunning (the drain) kills every running tree from the main thread', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const pool = new ProbePool({ workers: 1, slots: 1 });
  t.teardown(() => pool.destroy());
  await pool.ready(20_000);
  const pending = run(pool, `sleep ${s} & sleep ${s}`, 0, 30_000);
  await waitFor(() => livePidsMatching(`sleep ${s}`).length >= 2, 10_000);
  t.ok(pool.killRunning() >= 2, 'counted the kills');
  t.same(await waitGone(s), []);
  t.equal((await pending).status, 'failure', 'the run ended when its shell died');
});

t.test('after destroy, runs are unknown, not thrown', async (t) => {
  const pool = new ProbePool({ workers: 1, slots: 1 });
  await pool.destroy();
  await pool.destroy();
  t.match(await run(pool, 'true'), { status: 'unknown', error: 'pool closed' });
});

t.test('pre-flight: a missing shell is a start-up error; PID-1 warning only as PID 1', async (t) => {
  t.throws(() => assertShellAvailable('/nonexistent/sh'), { name: 'StartupError', message: 'cannot run probes: /nonexistent/sh not found or not executable' });
  t.doesNotThrow(() => assertShellAvailable());
  t.equal(pid1Warning(), undefined, 'this test is not PID 1');
});

t.test("signal names are Go's", async (t) => {
  t.equal(goSignalName('SIGKILL'), 'killed');
  t.equal(goSignalName('SIGTERM'), 'terminated');
  t.equal(goSignalName('SIGSEGV'), 'segmentation fault');
  t.equal(goSignalName('SIGWINCH'), 'signal 28');
  t.equal(goSignalName('SIGNOPE'), 'SIGNOPE');
});
