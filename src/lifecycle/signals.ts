import { constants } from 'node:os';

/** Exit status for a second signal during the drain: 128 + its number, as a shell reports it. */
export function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 15);
}

/**
 * Installs SIGTERM/SIGINT handlers from the first line of the program, so that a signal that
 * arrives before the server is listening is not lost. The first signal asks for a drain;
 * a second signal, during the drain, exits at once with 128 + signal (143 for SIGTERM, 130
 * for SIGINT). A drain asked for by /quit is not a signal: the first real one still drains.
 */
export class ShutdownSignals {
  #requested: string | undefined;
  #signalled = false;
  #handler: ((reason: string) => void) | undefined;

  constructor(private readonly exitNow: (code: number, signal: NodeJS.Signals) => void) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => this.#onSignal(signal));
    }
  }

  #onSignal(signal: NodeJS.Signals): void {
    if (this.#signalled) {
      this.exitNow(exitCodeFor(signal), signal);
      return;
    }
    this.#signalled = true;
    this.request(signal);
  }

  /** Asks for a drain (a signal, or /quit). Runs the handler now, or as soon as one is set. */
  request(reason: string): void {
    if (this.#requested !== undefined) return;
    this.#requested = reason;
    this.#handler?.(reason);
  }

  get requested(): string | undefined {
    return this.#requested;
  }

  onShutdown(handler: (reason: string) => void): void {
    this.#handler = handler;
    if (this.#requested !== undefined) handler(this.#requested);
  }
}
