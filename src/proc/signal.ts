/**
 * Sending signals by pid. This is not spawning: the main thread may use it as the backstop
 * when a worker stops answering. A process that is already gone (ESRCH) is not an error.
 */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signals every member of a process group; false when the group is empty. */
export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True when any process of the group is still there (zombies included). */
export function groupExists(pgid: number): boolean {
  return killGroup(pgid, 0 as unknown as NodeJS.Signals);
}
