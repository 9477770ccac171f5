import treeKill from 'tree-kill';

/**
 * Where /proc is absent (macOS, a BSD), walk the tree with tree-kill, which runs `ps` once
 * per level, then the caller kills the group. Slower, and blind to escapees that double-fork,
 * but better than the group alone.
 * On Linux the /proc walk in src/proc/kill-tree.ts is used instead: busybox `ps` rejects
 * --ppid, so on Alpine tree-kill would silently kill nothing.
 */
export function treeKillFallback(pid: number, then: () => void): void {
  treeKill(pid, 'SIGKILL', () => then());
}
