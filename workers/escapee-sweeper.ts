import { sweepCookies } from '../src/proc/escapee-sweep.js';

/**
 * Batches escapee sweeps across runs and keeps them off the result path: a run publishes its
 * result first, then its cookie joins the next sweep. A sweep reads every process's
 * environment (1.3–16 ms here, as much as a spawn), so sweeps run at most every
 * MIN_INTERVAL_MS whatever the number of runs: a probe at a 10 ms period pays for a tenth of
 * a sweep per run, not a whole one. Each cookie is swept twice, in two sweeps at least
 * MIN_INTERVAL_MS apart, to catch a daemon that was still mid-fork during the first.
 */
const MIN_INTERVAL_MS = 100;

export class EscapeeSweeper {
  #pending = new Set<string>();
  #secondPass = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly onKilled: (count: number) => void) {}

  add(cookie: string): void {
    this.#pending.add(cookie);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastSweep + MIN_INTERVAL_MS - performance.now());
    this.#timer = setTimeout(() => this.#sweep(), wait);
    this.#timer.unref();
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#lastSweep = performance.now();
    const cookies = new Set([...this.#pending, ...this.#secondPass]);
    this.#secondPass = this.#pending;
    this.#pending = new Set();
    const killed = sweepCookies(cookies);
    if (killed > 0) this.onKilled(killed);
    if (this.#secondPass.size > 0) this.#schedule();
  }
}
