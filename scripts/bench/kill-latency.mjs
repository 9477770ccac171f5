/**
 * Kill latency: `sleep 1000` and `setsid sleep 1000 & sleep 1000` under a 100 ms budget,
 * through the real pool (src/probe/pool.ts, workers/run-probe.ts). For each run: time from
 * budget expiry to the published result (the pool's promise resolving on the main thread),
 * and to the last process of the tree gone (its pids, noted 50 ms into the run, polled in
 * /proc; a zombie counts as gone). Baseline: the plain way, spawn + setTimeout + kill of the
 * process group from the main thread, a few runs of each kind in the same alternation.
 */
import { spawn } from 'node:child_process';
import { DEFAULT_NICE_INCREMENT, ProbePool } from '../../dist/src/probe/pool.js';
import { alive, descendants, fmt, isMain, killLeftovers, percentile, runAlone, section, sleep, spread, verdict } from './lib/common.mjs';

const RUNS = Number(process.env.BENCH_KILL_RUNS ?? 100);
const MAX_SECONDS = Number(process.env.BENCH_KILL_SECONDS ?? 45);
const BASELINE_EVERY = 5;
const BUDGET_MS = 100;
const COMMANDS = { sleep: 'sleep 1000', setsid: 'setsid sleep 1000 & sleep 1000' };
const epochNow = () => performance.timeOrigin + performance.now();

/** Spins (yielding to I/O) until `published()` and the whole snapshot is gone, or 2 s. */
async function watch(snapshot, published) {
  const until = performance.now() + 2000;
  let goneAt;
  for (;;) {
    if (goneAt === undefined && snapshot.every((s) => !alive(s.pid, s.starttime))) goneAt = epochNow();
    if ((goneAt !== undefined && published()) || performance.now() > until) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const survivors = snapshot.filter((s) => alive(s.pid, s.starttime));
  killLeftovers(survivors);
  return { goneAt, survivors: survivors.length };
}

async function throughPool(pool, command) {
  let publishedAt;
  const promise = pool.run({ slot: 0, command, timeoutMs: BUDGET_MS, maxOutput: 10240 }).then((r) => {
    publishedAt = epochNow();
    return r;
  });
  await sleep(50);
  const snapshot = descendants(process.pid);
  const watched = await watch(snapshot, () => publishedAt !== undefined);
  const result = await promise;
  const expiry = result.startedAt + BUDGET_MS; // startedAt is Date.now() in the worker: ±1 ms
  return {
    toPublished: publishedAt - expiry,
    toGone: Math.max(watched.goneAt ?? NaN, expiry) - expiry,
    inWorker: result.durationMs - BUDGET_MS,
    survivors: watched.survivors,
    processes: snapshot.length,
    timedOut: result.timedOut,
  };
}

function timerLateness() {
  const t = performance.now();
  return new Promise((resolve) => setTimeout(() => resolve(performance.now() - t - BUDGET_MS), BUDGET_MS));
}

async function baseline(command) {
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const startedAt = epochNow();
  let publishedAt;
  child.once('exit', () => (publishedAt = epochNow()));
  setTimeout(() => process.kill(-child.pid, 'SIGKILL'), BUDGET_MS);
  await sleep(50);
  const snapshot = descendants(process.pid);
  const watched = await watch(snapshot, () => publishedAt !== undefined);
  child.stdout.destroy();
  child.stderr.destroy();
  const expiry = startedAt + BUDGET_MS;
  return { toPublished: publishedAt - expiry, toGone: Math.max(watched.goneAt ?? NaN, expiry) - expiry, survivors: watched.survivors, processes: snapshot.length };
}

export async function run({ env }) {
  const pool = new ProbePool({ workers: 1, slots: 1, niceIncrement: DEFAULT_NICE_INCREMENT });
  const r = { sleep: [], setsid: [], baseSleep: [], baseSetsid: [], floor: [] };
  try {
    await pool.run({ slot: 0, command: 'true', timeoutMs: 1000, maxOutput: 10240 }); // warm-up
    const deadline = performance.now() + MAX_SECONDS * 1000;
    for (let i = 0; i < RUNS && performance.now() < deadline; i++) {
      r.sleep.push(await throughPool(pool, COMMANDS.sleep));
      r.setsid.push(await throughPool(pool, COMMANDS.setsid));
      if (i % BASELINE_EVERY === 0) {
        r.baseSleep.push(await baseline(COMMANDS.sleep));
        r.baseSetsid.push(await baseline(COMMANDS.setsid));
        r.floor.push(await timerLateness());
      }
    }
  } finally {
    await pool.destroy();
  }
  const rows = [];
  const fig = (runs, key, p) => percentile(runs.map((x) => x[key]), p);
  for (const [k, label] of [['sleep', '`sleep 1000`'], ['setsid', '`setsid sleep 1000 & sleep 1000`']]) {
    const runs = r[k];
    const survivors = runs.reduce((a, x) => a + x.survivors, 0);
    const timedOut = runs.filter((x) => x.timedOut).length;
    for (const key of ['toPublished', 'toGone']) {
      const p50 = fig(runs, key, 50);
      const p99 = fig(runs, key, 99);
      const what = key === 'toPublished' ? 'expiry → published result' : 'expiry → last process gone';
      rows.push({ figure: `${label}: ${what}, p50 / p99 / max (ms)`, value: `${fmt(p50, 2)} / ${fmt(p99, 2)} / ${fmt(fig(runs, key, 100), 2)}`, target: 'p50 ≤ 5, p99 ≤ 25', verdict: verdict(p50 <= 5 && p99 <= 25) });
    }
    rows.push({ figure: `${label}: inside the worker, budget timer → result built, p50 / p99 (ms)`, value: `${fmt(fig(runs, 'inWorker', 50), 2)} / ${fmt(fig(runs, 'inWorker', 99), 2)}` });
    rows.push({ figure: `${label}: survivors / runs (processes per tree at 50 ms: ${spread(runs.map((x) => x.processes), 0)}; timed out ${timedOut}/${runs.length})`, value: `${survivors} / ${runs.length}`, target: '0', verdict: verdict(survivors === 0) });
  }
  for (const [k, label] of [['baseSleep', '`sleep 1000`'], ['baseSetsid', '`setsid sleep 1000 & sleep 1000`']]) {
    const runs = r[k];
    rows.push({
      figure: `baseline (spawn + setTimeout + group kill on the main thread), ${label}: expiry → exit event / → last gone, p50 (ms); survivors`,
      value: `${fmt(fig(runs, 'toPublished', 50), 2)} / ${fmt(fig(runs, 'toGone', 50), 2)}; ${runs.reduce((a, x) => a + x.survivors, 0)} / ${runs.length}`,
    });
  }
  rows.push({ figure: 'noise floor: lateness of a plain 100 ms setTimeout on this main thread (nice 0), p50 / p99 (ms)', value: `${fmt(percentile(r.floor, 50), 2)} / ${fmt(percentile(r.floor, 99), 2)} (n=${r.floor.length})` });
  return section({
    name: 'kill-latency',
    title: 'Kill latency: a 100 ms budget is a hard limit',
    env,
    command: 'node scripts/bench/kill-latency.mjs',
    intro: `${r.sleep.length} runs of each command (at most ${RUNS}, at most ${MAX_SECONDS} s), alternating, through \`ProbePool\` (1 worker, nice +${DEFAULT_NICE_INCREMENT}) driven directly; a baseline run of each every ${BASELINE_EVERY}th round. "Published" is the pool's promise resolving on the main thread; expiry is the worker's \`startedAt\` (Date.now(), so ±1 ms) + 100 ms. A survivor is a process of the tree still alive (not a zombie) 2 s after expiry; the benchmark kills it.`,
    rows,
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
