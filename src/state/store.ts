import type { Config } from '../config/config.js';
import { failureReason } from '../probe/reason.js';
import type { ProbeResult } from '../probe/result.js';
import { ProbeState, type StateChange } from './probe-state.js';

/**
 * The shared state: workers' results are published here by the scheduler; the HTTP side only
 * reads. A request therefore never waits on a probe.
 */
export class StateStore {
  readonly probes: readonly ProbeState[];
  readonly #listeners: Array<(change: StateChange, state: ProbeState) => void> = [];
  #draining = false;

  constructor(private readonly config: Pick<Config, 'probes' | 'failureThreshold' | 'successThreshold' | 'timeoutMs'>) {
    const thresholds = { failure: config.failureThreshold, success: config.successThreshold };
    this.probes = config.probes.map((spec) => new ProbeState(spec, thresholds));
  }

  publish(index: number, result: ProbeResult): void {
    const state = this.probes[index]!;
    const change = state.record(result, failureReason(result, this.config.timeoutMs));
    if (change) for (const listener of this.#listeners) listener(change, state);
  }

  onChange(listener: (change: StateChange, state: ProbeState) => void): void {
    this.#listeners.push(listener);
  }

  get draining(): boolean {
    return this.#draining;
  }

  markDraining(): void {
    this.#draining = true;
  }
}
