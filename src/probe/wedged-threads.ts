import type { Worker } from 'node:worker_threads';

/**
 * Which worker threads are stuck in synchronous code. A healthy probe worker spends almost
 * all its time idle in its event loop (waiting on pipes and timers); a wedged one is busy
 * all the time. The main thread can read each thread's event-loop utilisation without the
 * thread's help, which is exactly what a wedged thread cannot give.
 */
const SAMPLE_MS = 200;
const WEDGED_UTILIZATION = 0.98;

export async function findWedgedThreads(threads: readonly Worker[]): Promise<Worker[]> {
  const before = threads.map((t) => t.performance.eventLoopUtilization());
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
  return threads.filter((t, i) => t.performance.eventLoopUtilization(before[i]).utilization >= WEDGED_UTILIZATION);
}
