/**
 * Scale: 100 probes at --period 1s for 30 s in the real server (startApp in-process, as in the
 * isolation benchmark), schedule lag from the scheduler's onStart hook (actual − planned start).
 */
import { ask, fmt, isMain, max, percentile, runAlone, section, sleep, startHelper, stopHelper, verdict } from './lib/common.mjs';

const PROBES = 100;
const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 30);

export async function measureScale({ workers, seconds = SECONDS } = {}) {
  const flags = ['--port', '0', '--address', '127.0.0.1', '--period', '1s', '--timeout', '1s', '--quiet'];
  if (workers) flags.push('--workers', String(workers));
  for (let i = 0; i < PROBES; i++) flags.push('--cmd', 'true', '--url', `/p${i}`);
  const { child } = await startHelper('app-harness.mjs', [JSON.stringify({ flags, lagHook: true })]);
  try {
    await sleep(1500); // every probe has started once (starts are staggered over 1 s)
    await ask(child, { type: 'start' });
    await sleep(seconds * 1000);
    return await ask(child, { type: 'stop' });
  } finally {
    await stopHelper(child);
  }
}

export async function run({ env }) {
  const s = await measureScale();
  const perProbe = new Array(PROBES).fill(0);
  for (const i of s.starts) perProbe[i]++;
  const lateRuns = s.lags.filter((l) => l >= 1000).length;
  const minStarts = Math.min(...perProbe);
  const expected = Math.floor(s.seconds) - 1; // one start per probe per second; a start lagging past the window's end is not a skip
  const skipped = perProbe.filter((n) => n < expected).length;
  const p99 = percentile(s.lags, 99);
  return section({
    name: 'scale',
    title: 'Scale: 100 probes at --period 1s for 30 s',
    env,
    command: 'node scripts/bench/scale.mjs',
    intro: `100 probes \`true\` at \`--period 1s\` in \`lib/app-harness.mjs\` (startApp in-process, default 1 worker, nice +10); lag = actual − planned start, from the Scheduler's onStart hook (set by the harness before start). Measured for ${SECONDS} s after a 1.5 s start.`,
    rows: [
      { figure: 'schedule lag p50 / p99 / max (ms)', value: `${fmt(percentile(s.lags, 50), 2)} / ${fmt(p99, 2)} / ${fmt(max(s.lags), 2)}`, target: 'p99 ≤ 50 ms', verdict: verdict(p99 <= 50) },
      { figure: `starts in ${fmt(s.seconds, 1)} s (probes with fewer than ${expected}: skipped); runs later than a period`, value: `${s.starts.length} starts, ${minStarts}–${max(perProbe)} per probe; ${skipped} probes short; ${lateRuns} late`, target: 'none skipped', verdict: verdict(skipped === 0 && lateRuns === 0) },
      { figure: 'runs finished / unknown results; run duration (pool.run → result) p50 / p99 (ms)', value: `${s.runs} / ${s.unknown}; ${fmt(percentile(s.durations, 50), 1)} / ${fmt(percentile(s.durations, 99), 1)}` },
      { figure: 'server CPU, all threads (% of one core); probe processes', value: `${fmt(s.cpuPct, 1)} %; ${fmt(s.childCpuPct, 1)} %` },
      { figure: 'main-thread event-loop delay p99 (ms, beyond the 10 ms resolution)', value: fmt(s.eld.p99, 1) },
    ],
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
