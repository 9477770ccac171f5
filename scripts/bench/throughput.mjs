/**
 * Throughput: /healthz of the real CLI (default flags) against a bare node:http "ok" server,
 * 50 connections, alternating A B A B in the same run. Target: ≥ 0.9× the bare server's req/s.
 */
import { alternate, cpuSeconds, fmt, isMain, load, medianRatio, runAlone, section, spread, startCli, startHelper, stopProcess, verdict, sleep, HOST } from './lib/common.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 3);
const CONNECTIONS = 50;

export async function waitHealthy(port, path = '/healthz', timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(`http://${HOST}:${port}${path}`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  throw new Error(`${path} never answered 200`);
}

async function measure(start) {
  const { child, port } = await start();
  try {
    await load({ port, connections: CONNECTIONS, seconds: 1 }); // warm-up, not recorded
    const before = cpuSeconds(child.pid).own;
    const r = await load({ port, connections: CONNECTIONS, seconds: SECONDS });
    // CPU time per request is far less sensitive to a noisy host than req/s.
    const cpuUs = ((cpuSeconds(child.pid).own - before) * 1e6) / (r.rps * SECONDS);
    return { ...r, cpuUs };
  } finally {
    await stopProcess(child);
  }
}

export async function run({ env }) {
  const r = await alternate(ROUNDS, {
    ours: () =>
      measure(async () => {
        const s = await startCli([]);
        await waitHealthy(s.port);
        return s;
      }),
    bare: () => measure(() => startHelper('bare-http.mjs')),
  });
  const rps = (k) => r[k].map((x) => x.rps);
  const ratio = medianRatio(rps('ours'), rps('bare'));
  const errors = r.ours.reduce((a, x) => a + x.errors + x.non2xx, 0);
  return section({
    name: 'throughput',
    title: 'Throughput: /healthz against a bare node:http server',
    env,
    command: 'node scripts/bench/throughput.mjs',
    intro: `\`node dist/src/cli.js --port 0 --address 127.0.0.1\` (default flags: one probe \`echo healthz\` every 2 s, 1 worker) against \`lib/bare-http.mjs\` (node:http answering "ok"), one server at a time, alternating A B A B, ${ROUNDS} rounds of ${SECONDS} s at ${CONNECTIONS} connections after a 1 s warm-up each.`,
    rows: [
      { figure: 'exechealthz /healthz req/s', value: spread(rps('ours'), 0) },
      { figure: 'bare node:http req/s', value: spread(rps('bare'), 0) },
      { figure: '**ratio exechealthz / bare (median of per-round ratios)**', value: `**${fmt(ratio, 2)}×**`, target: '≥ 0.9×', verdict: verdict(ratio >= 0.9) },
      { figure: 'server CPU per request, µs: exechealthz / bare (all threads, from /proc)', value: `${spread(r.ours.map((x) => x.cpuUs), 1)} / ${spread(r.bare.map((x) => x.cpuUs), 1)}` },
      { figure: 'CPU per request, exechealthz ÷ bare (median of per-round ratios; 1 ÷ this is the req/s ratio when both are CPU-bound)', value: `${fmt(medianRatio(r.ours.map((x) => x.cpuUs), r.bare.map((x) => x.cpuUs)), 2)}×` },
      { figure: 'exechealthz p50 / p99 latency, ms', value: `${spread(r.ours.map((x) => x.p50), 2)} / ${spread(r.ours.map((x) => x.p99), 2)}` },
      { figure: 'bare p50 / p99 latency, ms', value: `${spread(r.bare.map((x) => x.p50), 2)} / ${spread(r.bare.map((x) => x.p99), 2)}` },
      { figure: 'exechealthz non-2xx + socket errors', value: String(errors), target: '0', verdict: verdict(errors === 0) },
    ],
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
