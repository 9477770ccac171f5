/**
 * Memory: RSS of the real CLI after start (default flags), what it is made of (worker threads,
 * prom-client, the main heap), and growth after 2,000 runs that include 200 MB output floods.
 */
import { join } from 'node:path';
import { HOST, LIB, alternate, fmt, isMain, median, rssMb, runAlone, section, sleep, spread, startCli, startHelper, startProcess, stopProcess, verdict } from './lib/common.mjs';

const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 2);
const GROWTH_ROUNDS = Number(process.env.BENCH_GROWTH_ROUNDS ?? 1);
const GROWTH_MAX_SECONDS = Number(process.env.BENCH_GROWTH_SECONDS ?? 30);
const GROWTH_RUNS = 2000;
const SETTLE_MS = 1500;
const NO_PROM = ['--import', join(LIB, 'no-prom-client.mjs')];
// A loader hook that changes nothing: module.register() starts a loader thread of its own.
const NOOP_HOOK = ['--import', join(LIB, 'noop-hook.mjs')];

async function metrics(port) {
  const text = await (await fetch(`http://${HOST}:${port}/metrics`)).text();
  const values = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m) values[m[1]] = (values[m[1]] ?? 0) + Number(m[3]);
  }
  return values;
}

/** Starts every variant at once (RSS barely depends on CPU contention), reads RSS after they settle. */
async function idleRound() {
  const variants = {
    default: () => startCli([]),
    workers2: () => startCli(['--workers', '2']),
    workers4: () => startCli(['--workers', '4']),
    noProm: () => startCli([], { nodeArgs: NO_PROM }),
    noopHook: () => startCli([], { nodeArgs: NOOP_HOOK }),
    bareHttp: () => startHelper('bare-http.mjs'),
    bareNode: async () => {
      const child = startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log(JSON.stringify({port: 0}))']);
      await new Promise((resolve) => child.stdout.once('data', resolve));
      return { child, port: 0 };
    },
  };
  const started = {};
  try {
    for (const [k, start] of Object.entries(variants)) {
      try {
        started[k] = await start();
      } catch (err) {
        throw new Error(`${k}: ${err.message}`);
      }
    }
    await sleep(SETTLE_MS);
    const rss = Object.fromEntries(Object.entries(started).map(([k, s]) => [k, rssMb(s.child.pid)]));
    const m = await metrics(started.default.port);
    return { rss, heapUsed: m.nodejs_heap_size_used_bytes / 2 ** 20, heapTotal: m.nodejs_heap_size_total_bytes / 2 ** 20, external: m.nodejs_external_memory_bytes / 2 ** 20 };
  } finally {
    await Promise.all(Object.values(started).map((s) => stopProcess(s.child)));
  }
}

async function growthRound() {
  const flags = ['--period', '10ms', '--timeout', '10s'];
  for (let i = 0; i < 8; i++) flags.push('--cmd', 'true', '--url', `/t${i}`);
  for (let i = 0; i < 2; i++) flags.push('--cmd', 'head -c 200000000 /dev/zero', '--url', `/flood${i}`);
  const t0 = performance.now();
  const { child, port } = await startCli(flags);
  try {
    await sleep(300);
    const atStart = rssMb(child.pid);
    const count = async () => {
      const text = await (await fetch(`http://${HOST}:${port}/metrics`)).text();
      let total = 0;
      let floods = 0;
      for (const line of text.split('\n')) {
        const m = /^exechealthz_probe_runs_total\{probe="([^"]+)"[^}]*\} (\d+)/.exec(line);
        if (m) {
          total += Number(m[2]);
          if (m[1].startsWith('/flood')) floods += Number(m[2]);
        }
      }
      return { total, floods };
    };
    let c = { total: 0, floods: 0 };
    let at500;
    let peak = atStart;
    const until = performance.now() + GROWTH_MAX_SECONDS * 1000;
    while (c.total < GROWTH_RUNS && performance.now() < until) {
      await sleep(100);
      c = await count();
      peak = Math.max(peak, rssMb(child.pid));
      if (at500 === undefined && c.total >= 500) at500 = rssMb(child.pid);
    }
    const after = rssMb(child.pid);
    return { atStart, at500, after, peak, runs: c.total, floods: c.floods, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await stopProcess(child);
  }
}

export async function run({ env }) {
  const idle = await alternate(ROUNDS, { round: idleRound });
  const growth = await alternate(GROWTH_ROUNDS, { round: growthRound });
  const rss = (k) => idle.round.map((r) => r.rss[k]);
  const diff = (a, b) => idle.round.map((r) => r.rss[a] - r.rss[b]);
  const g = growth.round;
  const growthMb = g.map((x) => x.after - x.atStart);
  const idleMed = median(rss('default'));
  const growthMed = median(growthMb);
  const perWorker = median(idle.round.map((r) => (r.rss.workers4 - r.rss.default) / 3));
  return section({
    name: 'memory',
    title: 'Memory: RSS at start and after 2,000 runs with 200 MB floods',
    env,
    command: 'node scripts/bench/memory.mjs',
    intro: `RSS is VmRSS from /proc, ${SETTLE_MS} ms after the server listens (its first \`echo healthz\` run done); all variants of a round run side by side, ${ROUNDS} rounds. Growth: \`--period 10ms\` with 8 probes \`true\` and 2 probes \`head -c 200000000 /dev/zero\` (default 10 KiB cap) until /metrics counts ${GROWTH_RUNS} runs (at most ${GROWTH_MAX_SECONDS} s); RSS 300 ms after start, at 500 runs and at ${GROWTH_RUNS}; ${GROWTH_ROUNDS} rounds.`,
    rows: [
      { figure: 'idle RSS, default flags (1 worker thread) (MB)', value: spread(rss('default'), 1), target: '≤ 64 MB', verdict: verdict(idleMed <= 64) },
      { figure: 'idle RSS, --workers 2 / --workers 4 (MB)', value: `${spread(rss('workers2'), 1)} / ${spread(rss('workers4'), 1)}` },
      { figure: 'cost of one more worker thread (MB)', value: `${spread(diff('workers2', 'default'), 1)} (from 1→2); ${fmt(perWorker, 1)} per thread (1→4)` },
      { figure: 'prom-client: RSS with a loader hook stubbing it / with the same kind of hook changing nothing (MB); so prom-client costs', value: `${spread(rss('noProm'), 1)} / ${spread(rss('noopHook'), 1)}; ${spread(diff('noopHook', 'noProm'), 1)}` },
      { figure: 'main thread heap used / total, external (MB, from /metrics)', value: `${spread(idle.round.map((r) => r.heapUsed), 1)} / ${spread(idle.round.map((r) => r.heapTotal), 1)}, ${spread(idle.round.map((r) => r.external), 1)}` },
      { figure: 'floor: bare `node -e setInterval` / bare node:http server (MB)', value: `${spread(rss('bareNode'), 1)} / ${spread(rss('bareHttp'), 1)}` },
      { figure: 'exechealthz default ÷ bare node:http', value: `${fmt(median(idle.round.map((r) => r.rss.default / r.rss.bareHttp)), 2)}×` },
      { figure: `growth: RSS after ${GROWTH_RUNS} runs − RSS after start (MB)`, value: spread(growthMb, 1), target: '≤ 5 MB', verdict: verdict(growthMed <= 5) },
      { figure: 'growth from run 500 to run 2,000 (MB)', value: spread(g.map((x) => x.after - x.at500), 1) },
      { figure: 'RSS after start / at 500 / at 2,000 / peak (MB)', value: `${spread(g.map((x) => x.atStart), 1)} / ${spread(g.map((x) => x.at500), 1)} / ${spread(g.map((x) => x.after), 1)} / ${spread(g.map((x) => x.peak), 1)}` },
      { figure: 'runs reached; 200 MB floods among them; seconds per growth run', value: `${spread(g.map((x) => x.runs), 0)}; ${spread(g.map((x) => x.floods), 0)}; ${spread(g.map((x) => x.seconds), 1)}` },
    ],
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
