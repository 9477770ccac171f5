/**
 * A table in shared memory where each worker publishes, per probe slot, the pid of the shell
 * it is running (which is also its process group id) and when it spawned (so that the
 * backstop counts the budget from the spawn, not from a queue). The main thread reads it
 * only when a worker stops answering or the server drains: it can then kill the right
 * process groups without asking the worker anything.
 */

export class PidTable {
  readonly #pids: Int32Array;
  /** Epoch ms of each slot's spawn; written before the pid, whose atomic store publishes it. */
  readonly #spawnedAt: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    const slots = buffer.byteLength / (Int32Array.BYTES_PER_ELEMENT + Float64Array.BYTES_PER_ELEMENT);
    this.#spawnedAt = new Float64Array(buffer, 0, slots);
    this.#pids = new Int32Array(buffer, slots * Float64Array.BYTES_PER_ELEMENT, slots);
  }

  static create(slots: number): PidTable {
    const n = Math.max(1, slots);
    return new PidTable(new SharedArrayBuffer(n * (Int32Array.BYTES_PER_ELEMENT + Float64Array.BYTES_PER_ELEMENT)));
  }

  set(slot: number, pid: number): void {
    this.#spawnedAt[slot] = Date.now();
    Atomics.store(this.#pids, slot, pid);
  }

  /** Clears the slot if it still holds `pid` (a later run of the probe may have replaced it). */
  clear(slot: number, pid?: number): void {
    if (pid === undefined) Atomics.store(this.#pids, slot, 0);
    else Atomics.compareExchange(this.#pids, slot, pid, 0);
  }

  /** The shell pid of the run in `slot` and when it spawned, or undefined when none is running. */
  get(slot: number): { pid: number; spawnedAt: number } | undefined {
    const pid = Atomics.load(this.#pids, slot);
    if (pid === 0) return undefined;
    return { pid, spawnedAt: this.#spawnedAt[slot]! };
  }

  get slots(): number {
    return this.#pids.length;
  }
}
