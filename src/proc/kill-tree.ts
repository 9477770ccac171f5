import { descendantsOf, hasProcfs, readAllStats } from './process-table.js';
import { groupExists, killGroup, killPid } from './signal.js';

/**
 * Kills a probe's whole tree: the shell's process group and every descendant, including
 * those that left the group with setsid. The walk comes first: once the shell dies its
 * children are reparented and a walk by parent pid no longer finds them (measured:
 * group-then-walk left a survivor, walk-then-group left none).
 * Returns how many processes were signalled. Linux only; see workers/kill-tree-fallback.ts.
 */
export function killTree(shellPid: number): number {
  return killTrees([shellPid]);
}

/** killTree for several shells at once (the drain kills them all). */
export function killTrees(shellPids: readonly number[]): number {
  let killed = 0;
  for (const shellPid of shellPids) {
    // Snapshot first, while the shell still holds its children; then the group; then the rest.
    const snapshot = hasProcfs ? descendantsOf(shellPid) : [];
    const groupAlive = groupExists(shellPid);
    killGroup(shellPid);
    if (killPid(shellPid) || groupAlive) killed++;
    for (const pid of snapshot) if (killPid(pid)) killed++;
  }
  return killed;
}

/**
 * After the shell exited on its own: whatever it left in its process group (a probe must
 * not leave daemons behind). One syscall when nothing is left, which is the common case.
 */
export function killGroupLeftovers(pgid: number): number {
  if (!groupExists(pgid)) return 0;
  const members = hasProcfs ? readAllStats().filter((s) => s.pgid === pgid && s.state !== 'Z').length : 1;
  killGroup(pgid);
  return members;
}
