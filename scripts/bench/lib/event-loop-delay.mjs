// The main-thread event-loop delay monitor both benchmark servers (ours in-process, and the
// naive baseline) run, so that their figures are measured the same way.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export const RESOLUTION_MS = 10;

export function startDelayMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // Figures are the delay beyond the sampling resolution, in ms.
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    reset: () => histogram.reset(),
    stop: () => histogram.disable(),
    summary: () => ({ p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), count: histogram.count, resolutionMs: RESOLUTION_MS }),
  };
}
