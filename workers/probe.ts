/**
 * The piscina task: the only place where probe commands are run. Everything here runs on a
 * worker thread, so a flood of output or a burst of forks costs this thread, never the HTTP one.
 */
import { setPriority } from 'node:os';
import { workerData, parentPort } from 'node:worker_threads';
import type { ProbeResult, ProbeTask } from '../src/probe/result.js';
import { PidTable } from '../src/probe/pid-table.js';
import { EscapeeSweeper } from './escapee-sweeper.js';
import { runProbe } from './run-probe.js';
import { injectFault } from './faults.js';

export interface WorkerData {
  readonly pidTable: SharedArrayBuffer;
  /** Added to this thread's nice value; children inherit it (Linux priorities are per thread). */
  readonly niceIncrement: number;
}

const data = workerData as WorkerData | undefined;
const table = data ? new PidTable(data.pidTable) : undefined;
if (data && data.niceIncrement > 0) {
  try {
    setPriority(0, Math.min(19, data.niceIncrement));
  } catch {
    /* not permitted: run at the main thread's priority */
  }
}

const sweeper = new EscapeeSweeper((count) => parentPort?.postMessage({ type: 'escapees-killed', count }));

// Loading this module (and the TypeScript loader, from source) takes a while; the scheduler
// waits for this so that the first runs keep their planned, staggered start times.
parentPort?.postMessage({ type: 'ready' });

export default async function probeTask(task: ProbeTask): Promise<ProbeResult> {
  await injectFault(task.fault, 'before-spawn');
  let shell: number | undefined;
  try {
    return await runProbe(task, {
      onSpawn: (pid) => {
        shell = pid;
        table?.set(task.slot, pid);
        void injectFault(task.fault, 'after-spawn');
      },
      // Reaped: the pid may be reused from now on, so the main thread must not kill by it.
      onExit: (pid) => table?.clear(task.slot, pid),
      onSettled: (cookie) => sweeper.add(cookie),
    });
  } finally {
    if (shell !== undefined) table?.clear(task.slot, shell);
  }
}
