/**
 * Probe overhead: `true` run through the pool (main thread → worker → spawn → result) against
 * `spawn('/bin/sh', ['-c', 'true'])` awaited one by one from a plain script, same process,
 * alternating in blocks. Target: ratio ≤ 1.3.
 */
import { spawn } from 'node:child_process';
import { DEFAULT_NICE_INCREMENT, ProbePool } from '../../dist/src/probe/pool.js';
import { fmt, isMain, medianRatio, percentile, runAlone, section, spread, verdict } from './lib/common.mjs';

const RUNS = Number(process.env.BENCH_OVERHEAD_RUNS ?? 500);
const BLOCK = 50;
const MAX_SECONDS = Number(process.env.BENCH_OVERHEAD_SECONDS ?? 25);

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('error', reject);
    child.once('close', resolve);
    child.stdout.resume();
    child.stderr.resume();
  });
}

async function block(fn) {
  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < BLOCK; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return { perRun: (performance.now() - t0) / BLOCK, times };
}

export async function run({ env }) {
  const results = {};
  for (const nice of [DEFAULT_NICE_INCREMENT, 0]) {
    const pool = new ProbePool({ workers: 1, slots: 1, niceIncrement: nice });
    try {
      const poolTrue = () => pool.run({ slot: 0, command: 'true', timeoutMs: 10_000, maxOutput: 10240 });
      for (let i = 0; i < 20; i++) await poolTrue(); // warm-up
      for (let i = 0; i < 20; i++) await spawnTrue();
      const rounds = nice === 0 ? Math.max(1, Math.round(RUNS / BLOCK / 2)) : RUNS / BLOCK;
      const deadline = performance.now() + (nice === 0 ? MAX_SECONDS / 3 : (MAX_SECONDS * 2) / 3) * 1000;
      results[nice] = { pool: [], spawn: [] };
      for (let i = 0; i < rounds && (i < 2 || performance.now() < deadline); i++) {
        results[nice].pool.push(await block(poolTrue));
        results[nice].spawn.push(await block(spawnTrue));
      }
    } finally {
      await pool.destroy();
    }
  }
  const d = results[DEFAULT_NICE_INCREMENT];
  const per = (k, r = d) => r[k].map((b) => b.perRun);
  const all = (k, r = d) => r[k].flatMap((b) => b.times);
  const ratio = medianRatio(per('pool'), per('spawn'));
  const ratio0 = medianRatio(per('pool', results[0]), per('spawn', results[0]));
  return section({
    name: 'overhead',
    title: 'Probe overhead: `true` through the pool against a bare spawn',
    env,
    command: 'node scripts/bench/overhead.mjs',
    intro: `${d.pool.length * BLOCK} runs each (at most ${RUNS}, within ${MAX_SECONDS} s), awaited one by one, in blocks of ${BLOCK} alternating A B A B: \`ProbePool.run({command: 'true'})\` (1 worker, as the server builds it) against \`spawn('/bin/sh', ['-c', 'true'])\` awaited on \`close\` from the same plain Node process. Then half as many with the worker at nice 0.`,
    rows: [
      { figure: 'pool, ms per run (block means)', value: spread(per('pool'), 2) },
      { figure: 'bare spawn, ms per run (block means)', value: spread(per('spawn'), 2) },
      { figure: '**ratio pool / bare spawn (median of per-block ratios)**', value: `**${fmt(ratio, 2)}×**`, target: '≤ 1.3×', verdict: verdict(ratio <= 1.3) },
      { figure: 'pool p50 / p99 of single runs (ms)', value: `${fmt(percentile(all('pool'), 50), 2)} / ${fmt(percentile(all('pool'), 99), 2)}` },
      { figure: 'bare spawn p50 / p99 of single runs (ms)', value: `${fmt(percentile(all('spawn'), 50), 2)} / ${fmt(percentile(all('spawn'), 99), 2)}` },
      { figure: 'same ratio with the worker at nice 0', value: `${fmt(ratio0, 2)}× (pool ${spread(per('pool', results[0]), 2)} ms, spawn ${spread(per('spawn', results[0]), 2)} ms)` },
    ],
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
