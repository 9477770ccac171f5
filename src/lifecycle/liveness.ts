import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProbePool } from '../probe/pool.js';

/** Above this the main thread is too slow to be trusted as a liveness bridge. */
const EVENT_LOOP_DELAY_LIMIT_MS = 1000;
/** /livez judges the last full window, so that concurrent callers see the same answer. */
const WINDOW_MS = 10_000;

/** The server's own health for /livez: the event loop is responsive and the pool has threads. */
export function createLivenessCheck(pool: ProbePool): { problems(): string[]; stop(): void } {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  let previousMaxMs = 0;
  const roll = setInterval(() => {
    previousMaxMs = delay.max / 1e6;
    delay.reset();
  }, WINDOW_MS);
  roll.unref();
  return {
    problems() {
      const problems: string[] = [];
      const maxMs = Math.max(previousMaxMs, delay.max / 1e6);
      if (maxMs > EVENT_LOOP_DELAY_LIMIT_MS) problems.push(`event loop delayed ${Math.round(maxMs)}ms`);
      if (pool.threadCount === 0) problems.push('worker pool has no thread');
      return problems;
    },
    stop() {
      clearInterval(roll);
      delay.disable();
    },
  };
}
