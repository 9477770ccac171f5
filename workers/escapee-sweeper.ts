import { sweepCookies } from '../src/proc/escapee-sweep.js';

/**
 * Batches escapee sweeps across runs and keeps them off the result path: a run publishes its
 * result first, then its cookie joins the next sweep. A sweep costs about as much as spawning
 * `true` (~1.6 ms with ~90 processes), so one sweep serves every run that ended meanwhile.
 * A cookie is swept twice, the second time a little later, to catch a daemon that was still
 * mid-fork during the first pass.
 */
const SECOND_PASS_DELAY_MS = 50;

export class EscapeeSweeper {
  #pending = new Set<string>();
  #secondPass = new Set<string>();
  #scheduled: NodeJS.Immediate | undefined;
  #laterTimer: NodeJS.Timeout | undefined;

  constructor(private readonly onKilled: (count: number) => void) {}

  add(cookie: string): void {
    this.#pending.add(cookie);
    this.#scheduled ??= setImmediate(() => this.#sweepPending());
  }

  #sweepPending(): void {
    this.#scheduled = undefined;
    const cookies = this.#pending;
    this.#pending = new Set();
    this.#report(sweepCookies(cookies));
    for (const cookie of cookies) this.#secondPass.add(cookie);
    this.#laterTimer ??= setTimeout(() => this.#sweepSecondPass(), SECOND_PASS_DELAY_MS);
  }

  #sweepSecondPass(): void {
    this.#laterTimer = undefined;
    const cookies = this.#secondPass;
    this.#secondPass = new Set();
    this.#report(sweepCookies(cookies));
  }

  #report(killed: number): void {
    if (killed > 0) this.onKilled(killed);
  }
}
