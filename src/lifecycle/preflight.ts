import { accessSync, constants } from 'node:fs';
import { StartupError } from '../config/usage-error.js';

/** Probes are `sh -c CMD`: without a shell nothing can ever succeed, so refuse to start. */
export function assertShellAvailable(shell = '/bin/sh'): void {
  try {
    accessSync(shell, constants.X_OK);
  } catch {
    throw new StartupError(`cannot run probes: ${shell} not found or not executable`);
  }
}

/**
 * As PID 1 without an init, nobody reaps orphaned grandchildren of killed probes: they stay
 * zombies for the life of the container. Node cannot reap them itself.
 */
export function pid1Warning(): string | undefined {
  if (process.pid !== 1) return undefined;
  return 'running as PID 1 without an init: orphaned probe processes will not be reaped and will pile up as zombies; run under tini (the image does) or with docker run --init';
}
