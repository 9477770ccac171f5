/** The validated, immutable configuration every other module is built from. */
export interface ProbeSpec {
  /** Position on the command line; also the probe's slot in the pool's pid table. */
  readonly index: number;
  readonly path: string;
  readonly command: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly probes: readonly ProbeSpec[];
  readonly port: number;
  readonly address: string;
  /** True when --address was left at its default, so that start-up may fall back to 0.0.0.0. */
  readonly addressIsDefault: boolean;
  readonly periodMs: number;
  readonly latencyMs: number;
  readonly timeoutMs: number;
  readonly workers: number;
  readonly maxOutput: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly shutdownTimeoutMs: number;
  readonly output: boolean;
  readonly hideOutput: boolean;
  readonly allowQuit: boolean;
  readonly once: boolean;
  readonly json: boolean;
  readonly logLevel: LogLevel;
}

export const RESERVED_PATHS: readonly string[] = ['/', '/quit', '/livez', '/readyz', '/metrics'];

/** Linux's MAX_ARG_STRLEN (128 KiB) less the terminating NUL: a longer `sh -c` argument fails with E2BIG. */
export const MAX_COMMAND_BYTES = 131_071;
