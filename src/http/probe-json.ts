import type { ProbeState } from '../state/probe-state.js';
import type { Verdict } from '../state/verdict.js';

/** The JSON view of one probe: everything a person debugging at 3 a.m. wants in one document. */
export function probeJson(state: ProbeState, verdict: Verdict, options: { hideOutput: boolean; latencyMs: number }) {
  const last = state.last;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    path: state.spec.path,
    ...(options.hideOutput ? {} : { command: state.spec.command }),
    status: last?.status ?? 'unknown',
    healthy: verdict.kind === 'ok',
    state: verdict.kind, // ok | failing | stale | pending
    pending: verdict.kind === 'pending',
    stale: verdict.kind === 'stale',
    reason: verdict.kind === 'failing' ? verdict.reason : (state.lastReason ?? null),
    exitCode: last?.exitCode ?? null,
    signal: last?.signal ?? null,
    timedOut: last?.timedOut ?? false,
    ...(options.hideOutput ? {} : { output: last?.output ?? null }),
    outputBytes: last?.outputBytes ?? 0,
    truncated: last?.truncated ?? false,
    startedAt: iso(last?.startedAt),
    finishedAt: iso(last?.finishedAt),
    durationMs: last === undefined ? null : Math.round(last.durationMs * 1000) / 1000,
    ageMs: last === undefined ? null : Date.now() - last.finishedAt,
    latencyMs: options.latencyMs,
    consecutiveFailures: state.consecutiveFailures,
    consecutiveSuccesses: state.consecutiveSuccesses,
    history: state.history.entries(),
  };
}
