/**
 * Default --workers: 1 vs 2 vs 4, on what the number of threads changes: the hostile isolation
 * run (HTTP p99, event-loop delay), head-of-line blocking (a `true` probe's run time while
 * another probe floods 200 MB through the same pool), a burst of 100 simultaneous runs, and
 * idle RSS (from the memory benchmark: about 8 MB per thread).
 */
import { DEFAULT_NICE_INCREMENT, ProbePool } from '../../dist/src/probe/pool.js';
import { alternate, fmt, isMain, median, percentile, runAlone, section, spread } from './lib/common.mjs';
import { measureServer } from './isolation.mjs';

const ROUNDS = Number(process.env.BENCH_WORKERS_ROUNDS ?? 2);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 3);
const COUNTS = [1, 2, 4];

/** `true` runs one after another on slot 1 while slot 0 floods 200 MB: how long does each take? */
async function headOfLine(workers) {
  const pool = new ProbePool({ workers, slots: 101, niceIncrement: DEFAULT_NICE_INCREMENT });
  try {
    for (let i = 0; i < 10; i++) await pool.run({ slot: 1, command: 'true', timeoutMs: 5000, maxOutput: 10240 });
    let flooding = true;
    const t0 = performance.now();
    const flood = pool.run({ slot: 0, command: 'head -c 200000000 /dev/zero', timeoutMs: 20_000, maxOutput: 10240 }).then((r) => {
      flooding = false;
      return r;
    });
    const times = [];
    while (flooding && times.length < 500) {
      const t = performance.now();
      await pool.run({ slot: 1, command: 'true', timeoutMs: 5000, maxOutput: 10240 });
      if (flooding) times.push(performance.now() - t);
    }
    const floodResult = await flood;
    const floodMs = performance.now() - t0;
    // A burst: 100 probes due at the same instant.
    const b0 = performance.now();
    await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run({ slot: i + 1, command: 'true', timeoutMs: 10_000, maxOutput: 10240 })));
    const burstMs = performance.now() - b0;
    return { truePerRun: median(times), trueP99: percentile(times, 99), trueRuns: times.length, floodMs, floodBytes: floodResult.outputBytes, burstMs };
  } finally {
    await pool.destroy();
  }
}

export async function run({ env }) {
  const fns = {};
  for (const w of COUNTS) {
    fns[`hol${w}`] = () => headOfLine(w);
  }
  const hol = await alternate(ROUNDS, fns);
  const iso = await alternate(Math.max(1, ROUNDS - 1), Object.fromEntries(COUNTS.map((w) => [`w${w}`, () => measureServer('ours', { hostile: true, workers: w, seconds: SECONDS })])));
  const table = [
    '| --workers | /healthz p99 under hostile probes (ms) | event-loop delay p99 (ms) | req/s | hostile probe runs/s | `true` run time during a 200 MB flood, p50 / p99 (ms) | 200 MB flood time (ms) | burst of 100 `true` (ms) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const w of COUNTS) {
    const i = iso[`w${w}`];
    const h = hol[`hol${w}`];
    table.push(
      `| ${w} | ${spread(i.map((x) => x.http.p99), 1)} | ${spread(i.map((x) => x.loaded.eld.p99), 1)} | ${spread(i.map((x) => x.http.rps), 0)} | ${spread(i.map((x) => x.loaded.runs / x.loaded.seconds), 0)} | ${spread(h.map((x) => x.truePerRun), 1)} / ${spread(h.map((x) => x.trueP99), 1)} | ${spread(h.map((x) => x.floodMs), 0)} | ${spread(h.map((x) => x.burstMs), 0)} |`,
    );
  }
  const rows = [];
  for (const w of [2, 4]) {
    const r = (k, f) => median(iso[`w${w}`].map(f).map((v, j) => v / f(iso.w1[j])));
    const h = (f) => median(hol[`hol${w}`].map(f).map((v, j) => v / f(hol.hol1[j])));
    rows.push({
      figure: `--workers ${w} ÷ --workers 1: /healthz p99, req/s, \`true\` during flood, burst`,
      value: `${fmt(r('p99', (x) => x.http.p99), 2)}×, ${fmt(r('rps', (x) => x.http.rps), 2)}×, ${fmt(h((x) => x.truePerRun), 2)}×, ${fmt(h((x) => x.burstMs), 2)}×`,
    });
  }
  return section({
    name: 'workers',
    title: 'Default --workers: 1, 2 or 4',
    env,
    command: 'node scripts/bench/workers.mjs',
    intro: `Isolation runs as in the isolation benchmark (8 hostile probes, ${SECONDS} s at 50 connections), ${Math.max(1, ROUNDS - 1)} round(s) alternating 1, 2, 4 workers. Head-of-line: through \`ProbePool\` (nice +${DEFAULT_NICE_INCREMENT}), \`true\` run after run on one slot while another slot runs \`head -c 200000000 /dev/zero\`; then 100 \`true\` at once; ${ROUNDS} rounds. Memory per thread: see the memory benchmark.`,
    rows,
    extra: table.join('\n'),
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
