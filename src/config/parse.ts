import { isIP } from 'node:net';
import meow from 'meow';
import { type Config, type LogLevel, MAX_COMMAND_BYTES, RESERVED_PATHS } from './config.js';
import { parseDuration } from './duration.js';
import { helpText } from './help.js';
import { normalizeArgv, quote } from './normalize-argv.js';
import { UsageError } from './usage-error.js';

export type ParseOutcome =
  | { readonly kind: 'run'; readonly config: Config }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version'; readonly text: string };

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DEFAULT_COMMAND = 'echo healthz';
const DEFAULT_PATH = '/healthz';
const DEFAULT_TIMEOUT_MS = 10_000;

/** argv (without node and the script) → a validated Config, or help/version. Throws UsageError. */
export function parseCommandLine(argv: readonly string[], version: string): ParseOutcome {
  const cli = meow(helpText(), {
    importMeta: import.meta,
    argv: normalizeArgv(argv),
    autoHelp: false,
    autoVersion: false,
    allowUnknownFlags: false,
    booleanDefault: false,
    pkg: { name: 'exechealthz', version },
    flags: {
      cmd: { type: 'string', isMultiple: true },
      url: { type: 'string', isMultiple: true },
      port: { type: 'string' },
      address: { type: 'string' },
      period: { type: 'string' },
      latency: { type: 'string' },
      timeout: { type: 'string' },
      workers: { type: 'string' },
      maxOutput: { type: 'string' },
      failureThreshold: { type: 'string' },
      successThreshold: { type: 'string' },
      shutdownTimeout: { type: 'string' },
      output: { type: 'boolean' },
      hideOutput: { type: 'boolean' },
      allowQuit: { type: 'boolean' },
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      logLevel: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
      version: { type: 'boolean' },
    },
  });
  const f = cli.flags;
  if (f.help) return { kind: 'help', text: cli.help };
  if (f.version) return { kind: 'version', text: version };

  const commands = f.cmd ?? [];
  const paths = f.url ?? [];
  const periodMs = positiveDuration('period', f.period, '2s');
  const latencyMs = positiveDuration('latency', f.latency, '30s');
  const timeoutMs = f.timeout === undefined ? Math.min(DEFAULT_TIMEOUT_MS, latencyMs) : positiveDuration('timeout', f.timeout, '');
  if (timeoutMs > latencyMs) {
    throw new UsageError(`invalid value ${quote(f.timeout!)} for --timeout: above --latency ${f.latency ?? '30s'}, so a run could finish already stale`);
  }
  const logLevel = f.logLevel ?? (f.quiet ? 'warn' : 'info');
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new UsageError(`invalid value ${quote(logLevel)} for --log-level: want one of ${LOG_LEVELS.join(', ')}`);
  }
  if (f.json && !f.once) throw new UsageError('flag --json only applies with --once');
  const address = f.address ?? '::';
  if (isIP(address) === 0 && address !== 'localhost') {
    throw new UsageError(`invalid value ${quote(address)} for --address: want an IP address such as ::, 0.0.0.0 or 127.0.0.1`);
  }

  return {
    kind: 'run',
    config: Object.freeze({
      probes: Object.freeze(pairProbes(commands, paths)),
      port: integer('port', f.port, 8080, 0, 65535),
      address,
      addressIsDefault: f.address === undefined,
      periodMs,
      latencyMs,
      timeoutMs,
      workers: integer('workers', f.workers, 1, 1, 64),
      maxOutput: integer('max-output', f.maxOutput, 10240, 0, 64 * 1024 * 1024),
      failureThreshold: integer('failure-threshold', f.failureThreshold, 1, 1, 1_000_000),
      successThreshold: integer('success-threshold', f.successThreshold, 1, 1, 1_000_000),
      shutdownTimeoutMs: duration('shutdown-timeout', f.shutdownTimeout, '5s', 0),
      output: f.output === true,
      hideOutput: f.hideOutput === true,
      allowQuit: f.allowQuit === true,
      once: f.once === true,
      json: f.json === true,
      logLevel: logLevel as LogLevel,
    }),
  };
}

function pairProbes(commands: readonly string[], paths: readonly string[]) {
  const cmds = commands.length > 0 ? commands : [DEFAULT_COMMAND];
  const urls = paths.length > 0 ? paths : cmds.length === 1 ? [DEFAULT_PATH] : [];
  if (cmds.length !== urls.length) {
    throw new UsageError(`got ${cmds.length} --cmd and ${urls.length} --url: give one --url per --cmd`);
  }
  const seen = new Set<string>();
  return cmds.map((command, index) => {
    const path = urls[index]!;
    if (!path.startsWith('/')) throw new UsageError(`invalid value ${quote(path)} for --url: must start with /`);
    if (/[\s?#%]/.test(path)) throw new UsageError(`invalid value ${quote(path)} for --url: a plain path, without spaces, ?, # or %`);
    if (RESERVED_PATHS.includes(path)) {
      throw new UsageError(`invalid value ${quote(path)} for --url: reserved for the server's own endpoints (${RESERVED_PATHS.join(' ')})`);
    }
    if (seen.has(path)) throw new UsageError(`invalid value ${quote(path)} for --url: given twice`);
    seen.add(path);
    const bytes = Buffer.byteLength(command);
    if (bytes > MAX_COMMAND_BYTES) {
      throw new UsageError(`invalid value for --cmd: ${bytes} bytes, above Linux's ${MAX_COMMAND_BYTES}-byte limit for one argument`);
    }
    return Object.freeze({ index, path, command });
  });
}

function duration(flag: string, text: string | undefined, fallback: string, min: number): number {
  const ms = parseDuration(text ?? fallback);
  if (ms === undefined) {
    throw new UsageError(`invalid value ${quote(text!)} for --${flag}: not a duration (examples: 500ms, 2s, 1m30s)`);
  }
  if (ms < min || (min > 0 && ms <= 0)) {
    throw new UsageError(`invalid value ${quote(text!)} for --${flag}: must be ${min > 0 ? 'above zero' : 'zero or more'}`);
  }
  return ms;
}

function positiveDuration(flag: string, text: string | undefined, fallback: string): number {
  const ms = duration(flag, text, fallback, Number.MIN_VALUE);
  if (ms < 1) throw new UsageError(`invalid value ${quote(text!)} for --${flag}: must be at least 1ms`);
  return ms;
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`invalid value ${quote(text)} for --${flag}: not a whole number`);
  const value = Number(text.trim());
  if (value < min || value > max) throw new UsageError(`invalid value ${quote(text)} for --${flag}: must be from ${min} to ${max}`);
  return value;
}
