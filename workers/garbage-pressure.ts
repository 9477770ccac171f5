import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A flood of output arrives as 64 KiB Buffers that are dropped at once past --max-output.
 * V8 collects them only after ~64 MiB of external memory has piled up, which shows as tens
 * of megabytes of RSS in a sidecar. A cheap young-generation collection on this worker
 * thread every few megabytes of discarded output keeps that bounded; it costs the worker
 * about a millisecond and the HTTP thread nothing.
 */
const DISCARD_BYTES_PER_COLLECTION = 8 * 1024 * 1024;

type Gc = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

const gc: Gc | undefined = (() => {
  try {
    // --expose-gc takes effect for contexts created afterwards, such as this one.
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Gc;
  } catch {
    return undefined;
  }
})();

let discarded = 0;

export function noteDiscarded(bytes: number): void {
  discarded += bytes;
  if (discarded < DISCARD_BYTES_PER_COLLECTION) return;
  discarded = 0;
  gc?.({ type: 'minor' });
}
