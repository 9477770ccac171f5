import type { ProbeState } from './probe-state.js';

/**
 * What a probe path answers now, derived from its state and the clock. A failure is reported
 * before staleness, as the Go original does.
 */
export type Verdict =
  | { readonly kind: 'pending' }
  | { readonly kind: 'failing'; readonly reason: string }
  | { readonly kind: 'stale'; readonly ageMs: number }
  | { readonly kind: 'ok' };

export function verdictOf(state: ProbeState, now: number, latencyMs: number): Verdict {
  const last = state.last;
  if (last === undefined || state.healthy === undefined) return { kind: 'pending' };
  if (!state.healthy) {
    // Unhealthy while the last run succeeded: recovering, below --success-threshold.
    const reason = state.lastReason ?? `None (recovering: ${state.successesNeeded} more successful runs needed)`;
    return { kind: 'failing', reason };
  }
  const ageMs = now - last.finishedAt;
  if (ageMs > latencyMs) return { kind: 'stale', ageMs };
  return { kind: 'ok' };
}
