import { readFileSync, readdirSync } from 'node:fs';

/**
 * Looks at the real process table, not at our own bookkeeping. A zombie counts as dead:
 * outside a PID namespace this sandbox's PID 1 reaps orphans late (DESIGN §6).
 */
export function livePidsMatching(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') continue;
    if (cmdline.includes(needle)) found.push(pid);
  }
  return found;
}

/** A unique number usable as `sleep <n>`, so that a test can find exactly its own processes. */
let counter = 0;
export function uniqueSleep(base = 1000): string {
  counter++;
  return `${base}.${process.pid}${String(counter).padStart(3, '0')}`;
}

export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until no live process matches; returns the survivors if some are still there. */
export async function waitGone(needle: string, timeoutMs = 2000): Promise<number[]> {
  try {
    await waitFor(() => livePidsMatching(needle).length === 0, timeoutMs);
    return [];
  } catch {
    return livePidsMatching(needle);
  }
}

/** Kills leftovers a failing test left behind, by pid, so that one failure does not cascade. */
export function killMatching(needle: string): void {
  for (const pid of livePidsMatching(needle)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
