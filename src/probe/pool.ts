import { randomUUID } from 'node:crypto';
import { Piscina } from 'piscina';
import type { Worker } from 'node:worker_threads';
import { killTrees } from '../proc/kill-tree.js';
import { carriesCookie, sweepCookies } from '../proc/escapee-sweep.js';
import { PidTable } from './pid-table.js';
import { type ProbeResult, type ProbeTask, type WorkerFault, unknownResult } from './result.js';
import { findWedgedThreads } from './wedged-threads.js';

export interface PoolOptions {
  readonly workers: number;
  /** One slot per probe: a probe never has two runs at once. */
  readonly slots: number;
  /** Nice increment for worker threads and the probes they fork (Linux priorities are per thread). */
  readonly niceIncrement?: number;
  /** How long after its budget a run may go unanswered before the main thread steps in. */
  readonly backstopGraceMs?: number;
}

export interface RunRequest {
  readonly slot: number;
  readonly command: string;
  readonly timeoutMs: number;
  readonly maxOutput: number;
  readonly fault?: WorkerFault;
}

export interface PoolEvents {
  /** Processes killed outside any run's result: escapee sweeps and backstop kills. */
  onProcessesKilled?(count: number): void;
  /** A worker thread was terminated by the backstop or died on its own. */
  onWorkerReplaced?(reason: string): void;
}

/** Default nice increment for worker threads: the HTTP thread wins the CPU under contention (BENCHMARKS.md). */
export const DEFAULT_NICE_INCREMENT = 10;
const DEFAULT_BACKSTOP_GRACE_MS = 1000;
/** How long a run may wait for a thread to start it before the main thread steps in. */
const MAX_UNSTARTED_MS = 5000;
/** Enough for every probe's last run plus those of a busy second; a sweep reads each at once. */
const RECENT_COOKIES = 256;

/**
 * The main thread's side of the worker pool (after piscina's own split of main and worker
 * side). `run` never rejects: a broken worker becomes an `unknown` result. Every run has a
 * backstop at spawn + budget + 1 s: if the worker has not answered by then, the main thread
 * kills the run's process tree by the pid the worker published, and terminates the threads
 * it finds wedged, which piscina replaces.
 */
export class ProbePool {
  readonly #piscina: Piscina<ProbeTask, ProbeResult>;
  readonly #table: PidTable;
  readonly #graceMs: number;
  readonly #running = new Map<number, string>();
  /** Cookies of runs that ended lately, whose escapee sweep a worker may not have done yet. */
  readonly #recent: string[] = [];
  readonly #terminated = new WeakSet<Worker>();
  readonly #ready: Promise<void>;
  #isReady = false;
  #destroyed = false;

  constructor(options: PoolOptions, private readonly events: PoolEvents = {}) {
    this.#table = PidTable.create(options.slots);
    this.#graceMs = options.backstopGraceMs ?? DEFAULT_BACKSTOP_GRACE_MS;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.#piscina = new Piscina<ProbeTask, ProbeResult>({
      filename: new URL(`../../workers/probe${ext}`, import.meta.url).href,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: Number.POSITIVE_INFINITY,
      // A probe task mostly waits on its child, so many share a thread. No AbortSignal is
      // passed: piscina runs a task that has one alone on its thread.
      concurrentTasksPerWorker: Math.max(1, options.slots),
      maxQueue: Math.max(16, options.slots * 2),
      // A blocking Atomics.wait between tasks would stall the event loop that reads the pipes.
      atomics: 'disabled',
      // A runaway worker dies alone instead of taking the process with it.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 2 },
      workerData: { pidTable: this.#table.buffer, niceIncrement: options.niceIncrement ?? 0 },
    });
    let readyThreads = 0;
    let markReady: () => void = () => {};
    this.#ready = new Promise((resolve) => (markReady = resolve));
    this.#piscina.on('message', (message: { type?: string; count?: number }) => {
      if (message?.type === 'escapees-killed' && message.count) events.onProcessesKilled?.(message.count);
      if (message?.type === 'ready' && ++readyThreads >= options.workers) {
        this.#isReady = true;
        markReady();
      }
    });
    // Errors of workers with no task left are reported here; tasks learn of theirs through run().
    this.#piscina.on('error', (err: Error) => events.onWorkerReplaced?.(`worker error: ${err.message}`));
  }

  /**
   * Resolves once every worker thread has loaded its task module, or after `timeoutMs`
   * (tasks queue in piscina meanwhile, so waiting is an optimisation, not a requirement).
   */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.#destroyed || this.#isReady) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    return Promise.race([this.#ready, timeout]).finally(() => {
      clearTimeout(timer);
      this.#isReady = true; // waited once: later runs queue in piscina instead of waiting again
    });
  }

  get threadCount(): number {
    return this.#piscina.threads.length;
  }

  async run(request: RunRequest): Promise<ProbeResult> {
    // The backstop must not count a thread's start-up (seconds when loading TypeScript) as
    // the run's time, or a slow start would be mistaken for a wedged worker.
    await this.ready();
    const startedAt = Date.now();
    if (this.#destroyed) return unknownResult(startedAt, 'pool closed');
    const cookie = randomUUID();
    const task: ProbeTask = { ...request, cookie };
    this.#running.set(request.slot, cookie);

    return new Promise<ProbeResult>((resolve) => {
      let settled = false;
      let rescuing = false;
      let backstop: NodeJS.Timeout | undefined;
      const settle = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(backstop);
        this.#running.delete(request.slot);
        this.#recent.push(cookie);
        if (this.#recent.length > RECENT_COOKIES) this.#recent.shift();
        resolve(result);
      };
      // The backstop counts from the spawn the worker published, so that a run that waited
      // for a starved thread is not mistaken for a wedged one; a run that never spawns is
      // given MAX_UNSTARTED_MS before the main thread looks for a wedged thread.
      const check = () => {
        const entry = this.#table.get(request.slot);
        const deadline = entry ? entry.spawnedAt + request.timeoutMs + this.#graceMs : startedAt + request.timeoutMs + MAX_UNSTARTED_MS;
        const wait = deadline - Date.now();
        if (wait > 0) {
          backstop = setTimeout(check, wait);
          return;
        }
        rescuing = true; // the thread's termination rejects the task: that is not the reason
        void this.#rescue(request.slot, cookie).then(
          (killed) => settle(unknownResult(startedAt, 'worker unresponsive', killed)),
          () => settle(unknownResult(startedAt, 'worker unresponsive')),
        );
      };
      backstop = setTimeout(check, request.timeoutMs + this.#graceMs);

      this.#piscina.run(task).then(settle, (err: Error) => {
        if (settled || rescuing) return;
        const killed = this.#killRun(request.slot, cookie);
        settle(unknownResult(startedAt, this.#destroyed ? 'pool closed' : `worker failed: ${oneLine(err)}`, killed));
      });
    });
  }

  /** Kills, from the main thread, the tree of the run in `slot` (by the pid its worker published) and its cookie's escapees. */
  #killRun(slot: number, cookie: string): number {
    const killed = this.#killTable(new Map([[slot, cookie]])) + sweepCookies(new Set([cookie]));
    if (killed > 0) this.events.onProcessesKilled?.(killed);
    return killed;
  }

  /**
   * A run its worker did not answer in time: kill its tree now (the budget is a hard limit),
   * then terminate only threads that are really wedged, that is busy without pause, so that
   * a thread that is merely starved of CPU does not take every other probe's run down with it.
   */
  async #rescue(slot: number, cookie: string): Promise<number> {
    const killed = this.#killRun(slot, cookie);
    const wedged = await findWedgedThreads(this.#piscina.threads);
    // Settle only once the wedged threads are gone: until then piscina could hand the
    // probe's next run to the very thread being terminated.
    await Promise.all(wedged.map((thread) => this.#terminate(thread, 'worker unresponsive')));
    return killed;
  }

  async #terminate(thread: Worker, reason: string): Promise<void> {
    if (this.#terminated.has(thread)) return; // several stuck runs may point at one thread
    this.#terminated.add(thread);
    this.events.onWorkerReplaced?.(reason);
    await thread.terminate();
  }

  /** Drain: kill every running probe's tree at once, from the main thread, without asking workers. */
  killRunning(): number {
    return this.#killTable(new Map(this.#running)) + sweepCookies(new Set(this.#running.values()));
  }

  /**
   * Kills the trees of the given runs (slot → cookie) by the shell pids the workers published,
   * each only if that pid still carries the run's cookie: a reaped shell's pid may be reused.
   */
  #killTable(runs: ReadonlyMap<number, string>): number {
    const shells: number[] = [];
    for (const [slot, cookie] of runs) {
      const entry = this.#table.get(slot);
      if (!entry) continue;
      if (carriesCookie(entry.pid, cookie)) shells.push(entry.pid);
      this.#table.clear(slot, entry.pid);
    }
    return killTrees(shells);
  }

  /**
   * Terminates the worker threads, then cleans up after them from the main thread: a run
   * dispatched just before the drain may have spawned after killRunning(), and a worker's
   * batched escapee sweep dies with it. So kill what the pid table still lists, and sweep
   * the cookies of every run in flight or recently ended, once.
   */
  async destroy(): Promise<number> {
    if (this.#destroyed) return 0;
    this.#destroyed = true;
    const running = new Map(this.#running);
    const cookies = new Set([...running.values(), ...this.#recent]);
    await this.#piscina.destroy();
    return this.#killTable(running) + sweepCookies(cookies);
  }
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!;
}
