/**
 * The real server, in-process, so that its main thread's event-loop delay can be measured
 * from inside (src/ has no hook for it): parseCommandLine(flags) → startApp(config) with a
 * silent pino logger. Load comes from another process. Driven over IPC by the benchmarks:
 *   {type:'start'} resets the counters; {type:'stop'} answers the figures; {type:'exit'}.
 * argv[2] is JSON: {flags: string[], nice?: number, budgets?: {[command]: ms}, lagHook?: bool}.
 * `budgets` gives some commands their own budget (the CLI has one --timeout for all probes):
 * a bench-only wrapper of ProbePool.prototype.run, which startApp's pool inherits.
 */
import { startDelayMonitor } from './event-loop-delay.mjs';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { parseCommandLine } from '../../../dist/src/config/parse.js';
import { startApp } from '../../../dist/src/app.js';
import { ProbePool } from '../../../dist/src/probe/pool.js';
import { Scheduler } from '../../../dist/src/probe/scheduler.js';

const options = JSON.parse(process.argv[2] ?? '{}');

// ------------------------------------------------------------------ bench-only instrumentation
const runs = { total: 0, timedOut: 0, unknown: 0, byCommand: {} };
const durations = [];
const budgets = options.budgets ?? {};
const originalRun = ProbePool.prototype.run;
ProbePool.prototype.run = function run(request) {
  const timeoutMs = budgets[request.command] ?? request.timeoutMs;
  const t0 = performance.now();
  return originalRun.call(this, { ...request, timeoutMs }).then((result) => {
    runs.total++;
    durations.push(performance.now() - t0);
    if (result.timedOut) runs.timedOut++;
    if (result.status === 'unknown') runs.unknown++;
    runs.byCommand[request.command] = (runs.byCommand[request.command] ?? 0) + 1;
    return result;
  });
};
const lags = [];
const starts = [];
if (options.lagHook) {
  // startApp builds its Scheduler without an onStart hook: add one before it starts.
  const originalStart = Scheduler.prototype.start;
  Scheduler.prototype.start = function start() {
    this.hooks.onStart = (index, lagMs) => {
      lags.push(lagMs);
      starts.push(index);
    };
    return originalStart.call(this);
  };
}

// ------------------------------------------------------------------ the server
const outcome = parseCommandLine(options.flags ?? [], '0');
if (outcome.kind !== 'run') throw new Error('flags did not give a server config');
const logger = pino({ level: 'silent' });
const app = await startApp(outcome.config, {
  logger,
  requestShutdown: () => {},
  ...(options.nice === undefined ? {} : { niceIncrement: options.nice }),
});

const delay = startDelayMonitor();

function procCpu() {
  const f = readFileSync('/proc/self/stat', 'latin1');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { own: (Number(x[11]) + Number(x[12])) / 100, children: (Number(x[13]) + Number(x[14])) / 100 };
}
let mark = { t: performance.now(), cpu: process.cpuUsage(), proc: procCpu(), runs: { ...runs }, lags: 0, durations: 0 };

process.on('message', async (message) => {
  if (message.type === 'start') {
    delay.reset();
    mark = { t: performance.now(), cpu: process.cpuUsage(), proc: procCpu(), runs: { ...runs }, lags: lags.length, durations: durations.length };
    process.send({ id: message.id });
  } else if (message.type === 'stop') {
    const seconds = (performance.now() - mark.t) / 1000;
    const cpu = process.cpuUsage(mark.cpu);
    const proc = procCpu();
    process.send({
      id: message.id,
      seconds,
      eld: delay.summary(),
      // Whole process (all threads), and the probe processes it has reaped, in % of one core.
      cpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      childCpuPct: ((proc.children - mark.proc.children) / seconds) * 100,
      runs: runs.total - mark.runs.total,
      timedOut: runs.timedOut - mark.runs.timedOut,
      unknown: runs.unknown - mark.runs.unknown,
      byCommand: runs.byCommand,
      lags: lags.slice(mark.lags),
      // pool.run() call → result on the main thread, per run finished in the window (ms)
      durations: durations.slice(mark.durations),
      starts: starts.slice(mark.lags),
      threads: app.pool.threadCount,
    });
  } else if (message.type === 'exit') {
    delay.stop();
    await app.drain('bench');
    process.send({ id: message.id }, () => process.exit(0));
  }
});

process.stdout.write(JSON.stringify({ port: app.address.port }) + '\n');
