import { noteDiscarded } from './garbage-pressure.js';

/**
 * One bounded buffer for stdout and stderr together (like Go's CombinedOutput, but capped).
 * Bytes past the cap are counted and dropped; the caller keeps reading so that the child
 * never blocks on a full pipe (default cap 10 KiB: the kubelet's own limit for probe output).
 */
export class OutputBuffer {
  /** Kept chunks (copies, so that the pipe's buffers can be freed); at most `limit` bytes in all. */
  readonly #kept: Buffer[] = [];
  #length = 0;
  #total = 0;

  constructor(readonly limit: number) {}

  append(chunk: Buffer): void {
    this.#total += chunk.length;
    const room = this.limit - this.#length;
    if (room < chunk.length) noteDiscarded(chunk.length - Math.max(0, room));
    if (room <= 0) return;
    const take = Math.min(room, chunk.length);
    this.#kept.push(Buffer.from(chunk.subarray(0, take)));
    this.#length += take;
  }

  get totalBytes(): number {
    return this.#total;
  }

  get truncated(): boolean {
    return this.#total > this.#length;
  }

  /** Decoded as UTF-8; invalid bytes (or a character cut at the cap) become U+FFFD. */
  text(): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(this.#kept, this.#length));
  }
}
