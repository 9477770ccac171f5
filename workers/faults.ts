import type { WorkerFault } from '../src/probe/result.js';

/**
 * Test-only faults, to prove that the main thread survives a broken worker. Inert unless the
 * worker's environment has EXECHEALTHZ_TEST_HOOKS=1, which nothing in production sets.
 */
export async function injectFault(fault: WorkerFault | undefined, moment: 'before-spawn' | 'after-spawn'): Promise<void> {
  if (fault === undefined || process.env.EXECHEALTHZ_TEST_HOOKS !== '1') return;
  // A wedge strikes once the shell runs, so that only the main thread can still kill it.
  if ((fault === 'wedge') !== (moment === 'after-spawn')) return;
  switch (fault) {
    case 'wedge': {
      // A synchronous loop: the thread never answers again until it is terminated.
      for (;;) {
        /* spin */
      }
    }
    case 'crash':
      // An exception outside the task: the whole thread dies.
      setImmediate(() => {
        throw new Error('injected worker crash');
      });
      await new Promise(() => {});
      break;
    case 'reject':
      throw new Error('injected task failure');
    case 'oom': {
      const hoard: number[][] = [];
      for (;;) hoard.push(new Array(1_000_000).fill(1));
    }
  }
}
