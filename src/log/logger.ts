import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/**
 * JSON logs (pino), synchronous so that the last lines of a drain are never lost. pino's own
 * destination stops writing on EPIPE, so a closed stdout cannot crash the server.
 * `fd` is 1 normally and 2 with --once, whose stdout carries the results.
 */
export function createLogger(level: LogLevel, fd: 1 | 2 = 1): Logger {
  return pino(
    {
      level,
      base: { name: 'exechealthz', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: fd, sync: true }),
  );
}
