import { readFileSync } from 'node:fs';
import { hasProcfs, listPids } from './process-table.js';
import { killPid } from './signal.js';

/**
 * Double-forked daemons (`setsid -f`) are reparented before any kill can see them, so they
 * escape both the process group and the tree walk. Every run's environment carries a unique
 * cookie, which children inherit; a sweep of /proc/PID/environ finds them (the technique of
 * Jenkins' ProcessTreeKiller).
 */
export const COOKIE_VARIABLE = 'EXECHEALTHZ_RUN_ID';
const MARKER = Buffer.from(`${COOKIE_VARIABLE}=`);

/** Kills every process whose environment carries one of `cookies`; returns how many. */
export function sweepCookies(cookies: ReadonlySet<string>): number {
  if (!hasProcfs || cookies.size === 0) return 0;
  let killed = 0;
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const cookie = readCookie(pid);
    if (cookie !== undefined && cookies.has(cookie) && killPid(pid)) killed++;
  }
  return killed;
}

/**
 * Whether `pid` is still the process of the run with this cookie: a guard against pid reuse
 * before the main thread kills by a pid a worker published. Without /proc, trust the pid.
 */
export function carriesCookie(pid: number, cookie: string): boolean {
  return !hasProcfs || readCookie(pid) === cookie;
}

function readCookie(pid: number): string | undefined {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const at = environ.indexOf(MARKER);
  if (at === -1) return undefined;
  // Only a variable at the start of the block or after a NUL counts (not FOO_EXECHEALTHZ_RUN_ID=).
  if (at > 0 && environ[at - 1] !== 0) return undefined;
  const start = at + MARKER.length;
  const end = environ.indexOf(0, start);
  return environ.toString('latin1', start, end === -1 ? environ.length : end);
}
