import type { ProbeSpec } from '../config/config.js';
import type { ProbeResult } from '../probe/result.js';
import { History } from './history.js';

export type RunOutcome = 'success' | 'failure' | 'timeout' | 'unknown';

/** The state change a published result caused, for logs; undefined when nothing changed. */
export interface StateChange {
  readonly path: string;
  readonly from: 'healthy' | 'unhealthy' | 'unknown';
  readonly to: 'healthy' | 'unhealthy';
  readonly reason: string | undefined;
  /** Consecutive runs of the new kind that caused the change. */
  readonly consecutive: number;
}

export interface Thresholds {
  readonly failure: number;
  readonly success: number;
}

/**
 * Everything known about one probe: its last result, a short history, counters, and its
 * damped health (the kubelet's failureThreshold / successThreshold). Written only by the
 * scheduler when a run ends; HTTP handlers only read it.
 */
export class ProbeState {
  last: ProbeResult | undefined;
  lastReason: string | undefined;
  /** undefined until the first result: a probe that never ran is neither healthy nor unhealthy. */
  healthy: boolean | undefined;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  readonly history = new History();

  constructor(
    readonly spec: ProbeSpec,
    private readonly thresholds: Thresholds,
  ) {}

  record(result: ProbeResult, reason: string | undefined): StateChange | undefined {
    const ok = result.status === 'success';
    this.last = result;
    this.lastReason = reason;
    this.history.add(result, reason);
    if (ok) {
      this.consecutiveSuccesses++;
      this.consecutiveFailures = 0;
    } else {
      this.consecutiveFailures++;
      this.consecutiveSuccesses = 0;
    }

    const before = this.healthy;
    if (before === undefined) this.healthy = ok; // the first result sets the state directly
    else if (before && this.consecutiveFailures >= this.thresholds.failure) this.healthy = false;
    else if (!before && this.consecutiveSuccesses >= this.thresholds.success) this.healthy = true;
    if (this.healthy === before) return undefined;
    return {
      path: this.spec.path,
      from: before === undefined ? 'unknown' : before ? 'healthy' : 'unhealthy',
      to: this.healthy ? 'healthy' : 'unhealthy',
      reason,
      consecutive: ok ? this.consecutiveSuccesses : this.consecutiveFailures,
    };
  }

  /** Successes still needed before an unhealthy probe turns healthy again. */
  get successesNeeded(): number {
    return Math.max(0, this.thresholds.success - this.consecutiveSuccesses);
  }
}

export function outcomeOf(result: ProbeResult): RunOutcome {
  if (result.timedOut) return 'timeout';
  return result.status;
}
