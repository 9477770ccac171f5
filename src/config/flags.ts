/**
 * Every command-line flag in one table: the argv normaliser needs to know which flags are
 * booleans (so `-period -1s` still reaches the validator as a bad value rather than being
 * read as two flags), meow needs the types, and the help text lists the defaults.
 */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** Shown in --help; the real defaults are applied in config/parse.ts. */
  readonly defaultText?: string;
  readonly placeholder?: string;
  readonly description: string;
}

export const FLAGS = {
  cmd: { type: 'string', multiple: true, defaultText: 'echo healthz', placeholder: 'CMD', description: 'Command to run with /bin/sh -c (repeatable)' },
  url: { type: 'string', multiple: true, defaultText: '/healthz', placeholder: 'PATH', description: 'Path serving the --cmd at the same position (repeatable)' },
  port: { type: 'string', defaultText: '8080', placeholder: 'N', description: 'Port to listen on; 0 picks a free one (logged)' },
  address: { type: 'string', defaultText: '::', placeholder: 'IP', description: 'Address to listen on; :: is every IPv4 and IPv6 address' },
  period: { type: 'string', defaultText: '2s', placeholder: 'DURATION', description: 'Time between the starts of two runs of a probe' },
  latency: { type: 'string', defaultText: '30s', placeholder: 'DURATION', description: 'A result older than this is stale and answers 503' },
  timeout: { type: 'string', defaultText: 'min(10s, --latency)', placeholder: 'DURATION', description: 'Hard budget of one run; the whole process tree is killed when it expires' },
  workers: { type: 'string', defaultText: '1', placeholder: 'N', description: 'Worker threads that run probes (not a concurrency limit)' },
  'max-output': { type: 'string', defaultText: '10240', placeholder: 'BYTES', description: 'Output kept per run; the rest is drained and counted' },
  'failure-threshold': { type: 'string', defaultText: '1', placeholder: 'N', description: 'Consecutive failed runs before a healthy probe answers 503' },
  'success-threshold': { type: 'string', defaultText: '1', placeholder: 'N', description: 'Consecutive successful runs before an unhealthy probe answers 200' },
  'shutdown-timeout': { type: 'string', defaultText: '5s', placeholder: 'DURATION', description: 'On SIGTERM, how long in-flight responses may take' },
  output: { type: 'boolean', defaultText: 'off', description: "Answer the command's output instead of ok" },
  'hide-output': { type: 'boolean', defaultText: 'off', description: 'Never show commands or their output over HTTP (logs keep them)' },
  'allow-quit': { type: 'boolean', defaultText: 'off', description: 'Enable /quit, which drains and exits like SIGTERM' },
  once: { type: 'boolean', defaultText: 'off', description: 'Run every probe once, print the results and exit (0 all ok, 1 any failed)' },
  json: { type: 'boolean', defaultText: 'off', description: 'With --once: print one JSON document' },
  'log-level': { type: 'string', defaultText: 'info', placeholder: 'LEVEL', description: 'fatal, error, warn, info, debug, trace or silent' },
  quiet: { type: 'boolean', defaultText: 'off', description: 'Log only warnings and errors (same as --log-level warn)' },
  help: { type: 'boolean', description: 'Show this help (also -h, -help)' },
  version: { type: 'boolean', description: 'Show the version' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;

/** Spellings that are not flag names but mean one: Go's flag package treats -h and -help as help. */
export const FLAG_ALIASES: Readonly<Record<string, FlagName>> = { h: 'help' };

export function lookupFlag(name: string): FlagName | undefined {
  if (Object.hasOwn(FLAGS, name)) return name as FlagName;
  return FLAG_ALIASES[name];
}
