/**
 * Isolation (the headline): /healthz under 50-connection load while 8 hostile probes run
 * every 100 ms, against (a) the same server without them and (b) a naive baseline that
 * spawns the same probes from its main thread. Event-loop delay is measured inside the
 * server's process (lib/app-harness.mjs runs startApp in-process); load comes from another
 * process. Also measures what the nice lever buys (niceIncrement 10, the default, vs 0).
 */
import { alternate, ask, fmt, isMain, load, median, medianRatio, runAlone, section, sleep, spread, startHelper, stopHelper, verdict } from './lib/common.mjs';
import { waitHealthy } from './throughput.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 3);
const QUIET_SECONDS = 1.5;
const CONNECTIONS = 50;
const PERIOD = '100ms';

export const FANOUT = 'i=0; while [ $i -lt 50 ]; do sleep 0.01 & i=$((i+1)); done; wait';
export const HOSTILE = [
  { command: 'cat /dev/zero', budgetMs: 300 },
  { command: 'sleep 1000', budgetMs: 200 },
  { command: FANOUT, budgetMs: 1000 },
  { command: 'yes | head -c 50000000', budgetMs: 1000 },
];
/** /healthz runs `true`; 8 hostile probes = each of the four commands twice. */
export function probeSet(hostile) {
  const probes = [{ path: '/healthz', command: 'true', budgetMs: 1000 }];
  if (hostile) for (let i = 0; i < 8; i++) probes.push({ path: `/hostile${i}`, ...HOSTILE[i % 4] });
  return probes;
}

export function harnessOptions(hostile, { nice, workers } = {}) {
  const probes = probeSet(hostile);
  const flags = ['--port', '0', '--address', '127.0.0.1', '--period', PERIOD, '--timeout', '1s', '--quiet'];
  if (workers) flags.push('--workers', String(workers));
  for (const p of probes) flags.push('--cmd', p.command, '--url', p.path);
  const budgets = Object.fromEntries(probes.map((p) => [p.command, p.budgetMs]));
  return { flags, budgets, ...(nice === undefined ? {} : { nice }) };
}

/** One measured run of one server: quiet phase (no HTTP load), then the loaded phase. */
export async function measureServer(kind, { hostile = true, nice, workers, seconds = SECONDS } = {}) {
  const arg =
    kind === 'naive'
      ? { probes: probeSet(hostile), periodMs: 100, maxOutput: 10240 }
      : harnessOptions(hostile, { nice, workers });
  const { child, port } = await startHelper(kind === 'naive' ? 'naive-server.mjs' : 'app-harness.mjs', [JSON.stringify(arg)]);
  try {
    await waitHealthy(port);
    await load({ port, connections: CONNECTIONS, seconds: 1 }); // warm-up
    await ask(child, { type: 'start' });
    await sleep(QUIET_SECONDS * 1000);
    const quiet = await ask(child, { type: 'stop' });
    await ask(child, { type: 'start' });
    const http = await load({ port, connections: CONNECTIONS, seconds });
    const loaded = await ask(child, { type: 'stop' });
    return { http, loaded, quiet };
  } finally {
    await stopHelper(child);
  }
}

export async function run({ env }) {
  const r = await alternate(ROUNDS, {
    idle: () => measureServer('ours', { hostile: false }),
    hostile: () => measureServer('ours', { hostile: true }),
    nice0: () => measureServer('ours', { hostile: true, nice: 0 }),
    naive: () => measureServer('naive', { hostile: true }),
  });
  const p99 = (k) => r[k].map((x) => x.http.p99);
  const eld = (k) => r[k].map((x) => x.loaded.eld.p99);
  const eldQuiet = (k) => r[k].map((x) => x.quiet.eld.p99);
  const rps = (k) => r[k].map((x) => x.http.rps);
  const cpu = (k) => r[k].map((x) => x.loaded.cpuPct);
  const kids = (k) => r[k].map((x) => x.loaded.childCpuPct);
  const bad = (k) => r[k].reduce((a, x) => a + x.http.non2xx + x.http.errors, 0);
  const runsPerS = (k) => r[k].map((x) => x.loaded.runs / x.loaded.seconds);

  const vsIdle = medianRatio(p99('hostile'), p99('idle'));
  const vsNaive = medianRatio(p99('hostile'), p99('naive'));
  const eldHostile = median(eld('hostile'));
  const niceP99 = medianRatio(p99('nice0'), p99('hostile'));
  const niceEld = medianRatio(eld('nice0'), eld('hostile'));

  const table = [
    '| server | event-loop delay p99, loaded (ms) | event-loop delay p99, no HTTP load (ms) | /healthz p99 (ms) | /healthz p50 (ms) | req/s | server CPU % of a core (all threads) | probe processes CPU % | probe runs/s | non-2xx+errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const label = { idle: 'exechealthz, idle (only /healthz `true`)', hostile: 'exechealthz, 8 hostile probes (nice +10, default)', nice0: 'exechealthz, 8 hostile probes, nice 0', naive: 'naive baseline (main-thread child_process), 8 hostile probes' };
  for (const k of Object.keys(label)) {
    table.push(`| ${label[k]} | ${spread(eld(k), 1)} | ${spread(eldQuiet(k), 1)} | ${spread(p99(k), 1)} | ${spread(r[k].map((x) => x.http.p50), 2)} | ${spread(rps(k), 0)} | ${spread(cpu(k), 0)} | ${spread(kids(k), 0)} | ${spread(runsPerS(k), 0)} | ${bad(k)} |`);
  }

  return section({
    name: 'isolation',
    title: 'Isolation: /healthz while 8 hostile probes run every 100 ms',
    env,
    command: 'node scripts/bench/isolation.mjs',
    intro:
      `Probes (each twice, every ${PERIOD}): \`cat /dev/zero\` (300 ms budget), \`sleep 1000\` (200 ms), a 50-way fan-out \`${FANOUT}\` (1 s), \`yes | head -c 50000000\` (1 s); /healthz runs \`true\`. ` +
      `exechealthz runs in-process in \`lib/app-harness.mjs\` (startApp, silent logger, default 1 worker) so that \`monitorEventLoopDelay\` (resolution 10 ms, figures are delay beyond it) sees its main thread; the naive baseline is \`lib/naive-server.mjs\`. ` +
      `Per run: 1 s warm-up load, ${QUIET_SECONDS} s without HTTP load, then ${SECONDS} s at ${CONNECTIONS} connections. Order per round: idle, hostile, nice 0, naive; ${ROUNDS} rounds. The per-command budgets are given through a bench-only wrapper of \`ProbePool.prototype.run\` (the CLI has one \`--timeout\` for all probes).`,
    rows: [
      { figure: 'event-loop delay p99 under load + hostile probes', value: `${spread(eld('hostile'), 1)} ms`, target: '≤ 5 ms', verdict: verdict(eldHostile <= 5) },
      { figure: '/healthz p99, hostile ÷ idle (median of per-round ratios)', value: `${fmt(vsIdle, 2)}×`, target: '≤ 3×', verdict: verdict(vsIdle <= 3) },
      { figure: '/healthz p99, hostile ÷ naive baseline', value: `${fmt(vsNaive, 2)}×`, target: '≤ 0.5×', verdict: verdict(vsNaive <= 0.5) },
      { figure: 'req/s, hostile ÷ idle', value: `${fmt(medianRatio(rps('hostile'), rps('idle')), 2)}×` },
      { figure: 'nice lever: /healthz p99, nice 0 ÷ nice +10', value: `${fmt(niceP99, 2)}×` },
      { figure: 'nice lever: event-loop delay p99, nice 0 ÷ nice +10', value: `${fmt(niceEld, 2)}×` },
      { figure: 'nice lever: req/s, nice 0 ÷ nice +10', value: `${fmt(medianRatio(rps('nice0'), rps('hostile')), 2)}×` },
    ],
    extra: table.join('\n'),
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
