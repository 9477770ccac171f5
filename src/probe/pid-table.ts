/**
 * A table in shared memory where each worker publishes, per probe slot, the pid of the shell
 * it is running (which is also its process group id) and its own thread id. The main thread
 * reads it only when a worker stops answering or the server drains: it can then kill the
 * right process groups and terminate the right thread without asking the worker anything.
 */
const FIELDS = 2;

export class PidTable {
  readonly #cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer);
  }

  static create(slots: number): PidTable {
    return new PidTable(new SharedArrayBuffer(Math.max(1, slots) * FIELDS * Int32Array.BYTES_PER_ELEMENT));
  }

  set(slot: number, pid: number, threadId: number): void {
    Atomics.store(this.#cells, slot * FIELDS + 1, threadId);
    Atomics.store(this.#cells, slot * FIELDS, pid);
  }

  clear(slot: number): void {
    Atomics.store(this.#cells, slot * FIELDS, 0);
  }

  /** The shell pid and thread of the run in `slot`, or undefined when none is running. */
  get(slot: number): { pid: number; threadId: number } | undefined {
    const pid = Atomics.load(this.#cells, slot * FIELDS);
    if (pid === 0) return undefined;
    return { pid, threadId: Atomics.load(this.#cells, slot * FIELDS + 1) };
  }

  get slots(): number {
    return this.#cells.length / FIELDS;
  }
}
