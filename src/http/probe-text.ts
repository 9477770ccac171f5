import type { ProbeState } from '../state/probe-state.js';
import type { Verdict } from '../state/verdict.js';

export interface TextOptions {
  /** --output: answer the command's output instead of `ok`. */
  readonly output: boolean;
  /** --hide-output: never show output over HTTP, only the reason. */
  readonly hideOutput: boolean;
}

/**
 * Bodies in the Go original's words, byte for byte where it had them (its http.Error adds the
 * trailing newline). `<time>` is when the run finished, RFC 3339 in UTC with milliseconds.
 */
export function probeText(state: ProbeState, verdict: Verdict, options: TextOptions): { status: number; body: string } {
  const path = state.spec.path;
  const last = state.last;
  if (verdict.kind === 'pending' || last === undefined) {
    return { status: 503, body: `Healthz probe on ${path} has no result yet: its first run has not finished\n` };
  }
  if (verdict.kind === 'ok') return { status: 200, body: options.output && !options.hideOutput ? last.output : 'ok' };
  const at = new Date(last.finishedAt).toISOString();
  if (verdict.kind === 'failing') {
    if (options.hideOutput) return { status: 503, body: `Healthz probe on ${path} error: ${verdict.reason}, at ${at}\n` };
    return { status: 503, body: `Healthz probe on ${path} error: Result of last exec: ${last.output}, at ${at}, error ${verdict.reason}\n` };
  }
  const error = state.lastReason ?? 'None';
  if (options.hideOutput) return { status: 503, body: `Latest result too old to be useful: last run at ${at}, error ${error}.\n` };
  return { status: 503, body: `Latest result too old to be useful: Result of last exec: ${last.output}, at ${at}, error ${error}.\n` };
}
