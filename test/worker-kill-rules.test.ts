import t from 'tap';
import { randomUUID } from 'node:crypto';
import { runProbe } from '../workers/run-probe.js';
import type { ProbeTask } from '../src/probe/result.js';
import { sweepCookies } from '../src/proc/escapee-sweep.js';
import { killMatching, uniqueSleep, waitGone } from './helpers/procs.js';

// The worker's task function, called directly (worker-thread code is not counted in coverage).
function task(command: string, timeoutMs = 500, maxOutput = 10240): ProbeTask {
  return { slot: 0, command, timeoutMs, maxOutput, cookie: randomUUID() };
}

t.test('sleep past the budget: timed out promptly, tree gone', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const result = await runProbe(task(`sleep ${s}`, 500));
  t.equal(result.status, 'failure');
  t.equal(result.timedOut, true);
  t.ok(result.durationMs < 900, `answered ${result.durationMs.toFixed(1)}ms after start (budget 500ms + 400ms)`);
  t.same(await waitGone(s), [], 'no process of the probe is left');
});

t.test('background child, shell exits: the run ends with the shell and the child is killed', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const result = await runProbe(task(`sleep ${s} & echo started`, 5000));
  t.equal(result.status, 'success');
  t.equal(result.output, 'started\n');
  t.ok(result.durationMs < 1000, `ended ${result.durationMs.toFixed(1)}ms after start, not with the sleep`);
  t.ok(result.killed >= 1, 'the leftover was counted as killed');
  t.same(await waitGone(s), [], 'the background sleep is dead');
});

t.test('setsid child that left the group: killed at the budget', async (t) => {
  const a = uniqueSleep();
  const b = uniqueSleep();
  t.teardown(() => [a, b].forEach(killMatching));
  const result = await runProbe(task(`setsid sleep ${a} & sleep ${b}`, 300));
  t.equal(result.timedOut, true);
  t.same(await waitGone(a), [], 'the setsid sleep is dead');
  t.same(await waitGone(b), [], 'the foreground sleep is dead');
});

t.test('a shell that ignores SIGTERM is still killed', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const result = await runProbe(task(`trap '' TERM; sleep ${s}`, 300));
  t.equal(result.timedOut, true);
  t.same(await waitGone(s), []);
});

t.test('double fork (setsid -f) is swept by the run cookie', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const tk = task(`setsid -f sleep ${s}; echo forked`, 2000);
  const result = await runProbe(tk);
  t.equal(result.status, 'success', 'the shell itself succeeded');
  // The worker sweeps after publishing; here we play the worker's sweeper.
  const killed = sweepCookies(new Set([tk.cookie]));
  t.equal(killed, 1, 'the sweep found the daemon by its cookie');
  t.same(await waitGone(s), [], 'the daemon is dead');
});

t.test('setsid escapee holding the pipe does not hold the result back', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const tk = task(`setsid sleep ${s} & echo done`, 5000);
  const result = await runProbe(tk);
  t.equal(result.status, 'success');
  t.ok(result.durationMs < 1000, `ended after ${result.durationMs.toFixed(1)}ms`);
  sweepCookies(new Set([tk.cookie]));
  t.same(await waitGone(s), []);
});

t.test('endless output under a budget: capped, truncation visible', async (t) => {
  const result = await runProbe(task('cat /dev/zero', 300, 1000));
  t.equal(result.timedOut, true);
  t.equal(Buffer.byteLength(result.output.replaceAll('\0', 'x')), 1000, 'kept exactly --max-output bytes');
  t.equal(result.truncated, true);
  t.ok(result.outputBytes > 1000, `counted ${result.outputBytes} bytes in all`);
});

t.test('200 MB of output without a budget: drained to the end, capped', async (t) => {
  const result = await runProbe(task('head -c 200000000 /dev/zero', 30_000, 10240));
  t.equal(result.status, 'success');
  t.equal(result.outputBytes, 200_000_000, 'every byte was read, so head was never blocked');
  t.equal(result.output.length, 10240);
  t.equal(result.truncated, true);
});

t.test('unknown command: failure with sh\'s own message and exit status 127', async (t) => {
  const result = await runProbe(task('no-such-command-xyz', 2000));
  t.equal(result.status, 'failure');
  t.equal(result.exitCode, 127);
  t.match(result.output, /no-such-command-xyz: .*not found/);
});

t.test('a shell killed by a signal reports it', async (t) => {
  const result = await runProbe(task('kill -9 $$', 2000));
  t.equal(result.status, 'failure');
  t.equal(result.signal, 'SIGKILL');
  t.equal(result.exitCode, null);
});

t.test('stdin is /dev/null: a probe reading it gets EOF at once', async (t) => {
  const result = await runProbe(task('cat; echo eof', 2000));
  t.equal(result.status, 'success');
  t.equal(result.output, 'eof\n');
});

t.test('stdout and stderr share one buffer, invalid UTF-8 becomes U+FFFD', async (t) => {
  const result = await runProbe(task("printf 'out\\n'; printf 'err\\n' >&2; printf '\\377\\n'", 2000));
  t.match(result.output, /out\n/);
  t.match(result.output, /err\n/);
  t.match(result.output, /\uFFFD/);
});

t.test('a shell that exits just before its budget keeps its own exit status, even while an escapee writes on', async (t) => {
  const s = uniqueSleep(0);
  t.teardown(() => killMatching(s));
  // The escapee keeps the pipe busy through the budget; the shell exits 3 at ~200 ms of 300.
  const tk = task(`(setsid sh -c 'while :; do echo x; sleep ${s}; done' &); sleep 0.2; exit 3`, 300);
  const result = await runProbe(tk);
  t.equal(result.timedOut, false, 'not reported as timed out');
  t.equal(result.exitCode, 3);
  t.equal(result.status, 'failure');
  sweepCookies(new Set([tk.cookie]));
  t.same(await waitGone(s), [], 'the escapee was swept');
});
