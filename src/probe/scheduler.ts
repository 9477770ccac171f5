import type { ProbeSpec } from '../config/config.js';
import type { ProbePool } from './pool.js';
import type { ProbeResult } from './result.js';

export interface ScheduleOptions {
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly maxOutput: number;
}

export interface SchedulerHooks {
  /** A run finished while the scheduler was still running. */
  onResult(index: number, result: ProbeResult): void;
  /** How late a run started against its plan, in ms (the scale benchmark sets it). */
  onStart?(index: number, lagMs: number): void;
}

/** First runs of several probes are spread over this much of the period at most. */
const MAX_STAGGER_MS = 1000;

/**
 * One timer per probe. The period is counted from the previous start; a probe never has two
 * runs at once, and one slower than its period runs back to back (as the Go original's
 * "the command runs continuously"). Several probes start staggered so that a hundred of them
 * do not fork in the same millisecond every period.
 */
export class Scheduler {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #running = false;
  #stopped = false;

  constructor(
    private readonly probes: readonly ProbeSpec[],
    private readonly options: ScheduleOptions,
    private readonly pool: ProbePool,
    private readonly hooks: SchedulerHooks,
  ) {}

  /** Starts the timers; does nothing once stop() was called (a drain that began first wins). */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    const now = performance.now();
    const spread = Math.min(this.options.periodMs, MAX_STAGGER_MS);
    this.probes.forEach((probe, i) => this.#schedule(probe, now + (i * spread) / this.probes.length));
  }

  /** Stops scheduling. Runs in flight are left to the caller (drain kills them); their results are dropped. */
  stop(): void {
    this.#running = false;
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Every probe once, all at the same time (for --once). */
  runOnce(): Promise<ProbeResult[]> {
    return Promise.all(this.probes.map((probe) => this.#run(probe)));
  }

  #schedule(probe: ProbeSpec, plannedAt: number): void {
    const delay = Math.max(0, plannedAt - performance.now());
    this.#timers.set(probe.index, setTimeout(() => void this.#tick(probe, plannedAt), delay));
  }

  async #tick(probe: ProbeSpec, plannedAt: number): Promise<void> {
    this.#timers.delete(probe.index);
    if (!this.#running) return;
    const startedAt = performance.now();
    this.hooks.onStart?.(probe.index, startedAt - plannedAt);
    const result = await this.#run(probe);
    if (!this.#running) return;
    try {
      this.hooks.onResult(probe.index, result);
    } finally {
      // Counted from the planned start, so timer jitter does not accumulate; a run that
      // overran its period is followed at once, never by two at a time. Scheduled even if
      // publishing threw, so that a probe is never silently dropped.
      this.#schedule(probe, Math.max(plannedAt + this.options.periodMs, performance.now()));
    }
  }

  #run(probe: ProbeSpec): Promise<ProbeResult> {
    return this.pool.run({
      slot: probe.index,
      command: probe.command,
      timeoutMs: this.options.timeoutMs,
      maxOutput: this.options.maxOutput,
    });
  }
}
