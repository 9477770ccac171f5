/**
 * A run's result is data, not an exception. The status vocabulary is Kubernetes' pkg/probe:
 * success, failure, or unknown when the run could not be judged (spawn failed, worker died).
 */
export type ProbeStatus = 'success' | 'failure' | 'unknown';

export interface ProbeResult {
  readonly status: ProbeStatus;
  readonly exitCode: number | null;
  /** Node's name of the signal that ended the shell (SIGKILL), when one did. */
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Combined stdout and stderr, at most --max-output bytes, decoded as UTF-8 (bad bytes become U+FFFD). */
  readonly output: string;
  /** Every byte the run wrote, kept or not. */
  readonly outputBytes: number;
  readonly truncated: boolean;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  /** Why an `unknown` run could not be judged. */
  readonly error?: string;
  /** Processes of the probe's tree that had to be killed when the run ended. */
  readonly killed: number;
}

/** What the main thread sends a worker for one run. */
export interface ProbeTask {
  /** Row of the shared pid table where the worker publishes the shell's pid and spawn time. */
  readonly slot: number;
  readonly command: string;
  readonly timeoutMs: number;
  readonly maxOutput: number;
  /** Put in the run's environment so that escaped descendants can be found (proc/escapee-sweep.ts). */
  readonly cookie: string;
  /** Test-only fault injection; honoured only when EXECHEALTHZ_TEST_HOOKS=1 in the worker's environment. */
  readonly fault?: WorkerFault;
}

export type WorkerFault = 'wedge' | 'crash' | 'reject' | 'oom';

export function unknownResult(startedAt: number, error: string, killed = 0): ProbeResult {
  const finishedAt = Date.now();
  return {
    status: 'unknown',
    exitCode: null,
    signal: null,
    timedOut: false,
    output: '',
    outputBytes: 0,
    truncated: false,
    startedAt,
    finishedAt,
    durationMs: finishedAt - startedAt,
    error,
    killed,
  };
}
