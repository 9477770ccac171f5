import { spawn } from 'node:child_process';
import { hasProcfs } from '../src/proc/process-table.js';
import { killGroupLeftovers, killTree } from '../src/proc/kill-tree.js';
import { killGroup } from '../src/proc/signal.js';
import { COOKIE_VARIABLE } from '../src/proc/escapee-sweep.js';
import type { ProbeResult, ProbeTask } from '../src/probe/result.js';
import { OutputBuffer } from './output-buffer.js';
import { treeKillFallback } from './kill-tree-fallback.js';

export interface RunHooks {
  /** Called once the shell exists, with its pid (= its process group id). */
  onSpawn?(pid: number): void;
  /** Called when the shell has exited and been reaped: from then on its pid may be reused. */
  onExit?(pid: number): void;
  /** Called after the result is settled, with the run's cookie, to sweep escapees off the result path. */
  onSettled?(cookie: string): void;
}

/**
 * After the shell has exited, how long to wait for the pipes to reach EOF. Output the shell
 * wrote is already in the pipe and arrives within a tick; the bound only matters when an
 * escaped descendant holds the pipe open, which must not hold the result back. While data is
 * still arriving the wait is extended (a busy, niced thread may read late), up to a cap.
 */
const PIPE_GRACE_MS = 15;
const PIPE_GRACE_CAP_MS = 250;

/**
 * One run of `sh -c command` under a hard budget. Resolves (never rejects) as soon as the
 * shell exits or the budget expires, whatever still holds the pipes; leaves no process of
 * the run's process group or tree behind.
 */
export function runProbe(task: ProbeTask, hooks: RunHooks = {}): Promise<ProbeResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const output = new OutputBuffer(task.maxOutput);

  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    let killed = 0;
    const child = spawn('/bin/sh', ['-c', task.command], {
      detached: true, // the shell leads its own process group, so the group can be killed as one
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [COOKIE_VARIABLE]: task.cookie },
    });
    const pid = child.pid;
    if (pid !== undefined) hooks.onSpawn?.(pid);

    let lastDataAt = 0;
    const onData = (chunk: Buffer) => {
      output.append(chunk);
      lastDataAt = performance.now();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);

    const finish = (fields: Pick<ProbeResult, 'status' | 'exitCode' | 'signal' | 'timedOut'> & { error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(budget);
      clearTimeout(grace);
      // Stop reading: a survivor still writing gets EPIPE instead of holding us.
      child.stdout!.destroy();
      child.stderr!.destroy();
      const durationMs = performance.now() - t0;
      resolve({
        ...fields,
        output: output.text(),
        outputBytes: output.totalBytes,
        truncated: output.truncated,
        startedAt,
        finishedAt: startedAt + Math.round(durationMs),
        durationMs,
        killed,
      });
      hooks.onSettled?.(task.cookie);
    };

    // spawn() itself blocks for milliseconds (fork copies the page tables): that is part of the budget.
    const budget = setTimeout(() => {
      if (pid !== undefined) killed += killWholeTree(pid);
      finish({ status: 'failure', exitCode: null, signal: 'SIGKILL', timedOut: true });
    }, Math.max(0, task.timeoutMs - (performance.now() - t0)));
    let grace: NodeJS.Timeout | undefined;

    child.once('error', (err: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT for a missing /bin/sh, E2BIG) arrive here with no exit event.
      if (pid !== undefined) killed += killWholeTree(pid);
      finish({ status: 'unknown', exitCode: null, signal: null, timedOut: false, error: `spawn /bin/sh failed: ${err.code ?? err.message}` });
    });

    child.once('exit', (code, signal) => {
      if (pid !== undefined) hooks.onExit?.(pid);
      if (settled || pid === undefined) return;
      // The shell is reaped: its pid is no longer ours, so the budget must not kill by it.
      // The pipe grace below has its own cap.
      clearTimeout(budget);
      // Never wait for 'close': a background child can hold stdout for ever. Kill what is
      // left of the group (it would also hold the pipe), then give the pipes a moment.
      killed += killGroupLeftovers(pid);
      const status = code === 0 ? 'success' : 'failure';
      const done = () => finish({ status, exitCode: code, signal, timedOut: false });
      let open = 2;
      const onEnd = () => {
        if (--open === 0) done();
      };
      if (child.stdout!.readableEnded) open--;
      if (child.stderr!.readableEnded) open--;
      if (open === 0) return done();
      child.stdout!.once('end', onEnd);
      child.stderr!.once('end', onEnd);
      const exitedAt = performance.now();
      const waitQuiet = () => {
        const now = performance.now();
        if (now - lastDataAt < PIPE_GRACE_MS && now - exitedAt < PIPE_GRACE_CAP_MS) {
          grace = setTimeout(waitQuiet, PIPE_GRACE_MS);
          return;
        }
        // One more poll phase first: data already in the pipe is read before we give up on it.
        grace = setTimeout(done, 0);
      };
      grace = setTimeout(waitQuiet, PIPE_GRACE_MS);
    });
  });
}

function killWholeTree(pid: number): number {
  if (hasProcfs) return killTree(pid);
  // Without /proc: walk with `ps` first, while the shell still holds its children, and kill
  // the group only then (killing the shell first would reparent them out of the walk).
  treeKillFallback(pid, () => killGroup(pid));
  return 1;
}
