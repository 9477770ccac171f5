import { constants } from 'node:os';
import { formatDuration } from '../config/duration.js';
import type { ProbeResult } from './result.js';

/**
 * Why a run failed, worded as Go's os/exec words it (`exit status 1`, `signal: killed`), so
 * that bodies stay byte-compatible with the original; a timeout names its budget as Go
 * writes a duration (`timed out after 1.5s`).
 */
export function failureReason(result: ProbeResult, timeoutMs: number): string | undefined {
  if (result.status === 'success') return undefined;
  if (result.timedOut) return `timed out after ${formatDuration(timeoutMs)}`;
  if (result.status === 'unknown') return result.error ?? 'unknown';
  if (result.signal) return `signal: ${goSignalName(result.signal)}`;
  return `exit status ${result.exitCode ?? -1}`;
}

/** Go's names (from its runtime's signal table, which follows strsignal(3)). */
const GO_SIGNAL_NAMES: Readonly<Record<string, string>> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
  SIGXCPU: 'CPU time limit exceeded',
  SIGXFSZ: 'file size limit exceeded',
};

export function goSignalName(signal: string): string {
  const name = GO_SIGNAL_NAMES[signal];
  if (name) return name;
  const number = (constants.signals as Record<string, number>)[signal];
  return number === undefined ? signal : `signal ${number}`;
}
