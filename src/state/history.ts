import type { ProbeResult } from '../probe/result.js';

/** One past run, without its output (which can be large and is shown only for the last run). */
export interface HistoryEntry {
  readonly status: ProbeResult['status'];
  readonly reason: string | null;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
}

export const HISTORY_LENGTH = 10;

/** The last runs, newest first, bounded so that a probe running for months holds constant memory. */
export class History {
  readonly #entries: HistoryEntry[] = [];

  add(result: ProbeResult, reason: string | undefined): void {
    this.#entries.unshift({
      status: result.status,
      reason: reason ?? null,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      startedAt: new Date(result.startedAt).toISOString(),
      finishedAt: new Date(result.finishedAt).toISOString(),
      durationMs: Math.round(result.durationMs * 1000) / 1000,
    });
    if (this.#entries.length > HISTORY_LENGTH) this.#entries.pop();
  }

  entries(): readonly HistoryEntry[] {
    return this.#entries.slice();
  }
}
