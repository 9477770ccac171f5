/**
 * Shutdown (issue 3): SIGTERM → process gone (its `exit` as seen by the parent), for the real
 * CLI idle and with 4 probes mid-run (`sleep 1000`), against a bare node:http server killed by
 * the same SIGTERM (Node's default action: immediate death, no drain) as the floor.
 */
import { alternate, descendants, alive, fmt, isMain, killLeftovers, median, medianRatio, runAlone, section, sleep, spread, startCli, startHelper, verdict } from './lib/common.mjs';

const RUNS = Number(process.env.BENCH_SHUTDOWN_RUNS ?? 10);

async function sigterm(child) {
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  const t0 = performance.now();
  process.kill(child.pid, 'SIGTERM');
  const e = await Promise.race([exited, sleep(10_000).then(() => undefined)]);
  if (!e) throw new Error('process did not exit within 10 s of SIGTERM');
  return { ms: e.at - t0, code: e.code, signal: e.signal };
}

async function idle() {
  const { child } = await startCli([]);
  await sleep(300); // the first run of `echo healthz` is over
  return sigterm(child);
}

async function midRun() {
  const flags = ['--timeout', '30s'];
  for (let i = 0; i < 4; i++) flags.push('--cmd', 'sleep 1000', '--url', `/p${i}`);
  const { child } = await startCli(flags);
  let tree = [];
  const until = performance.now() + 5000;
  while (performance.now() < until) {
    tree = descendants(child.pid);
    if (tree.filter((s) => /sleep/.test(readComm(s.pid))).length >= 4) break;
    await sleep(10);
  }
  const probes = tree.filter((s) => /sleep|sh/.test(readComm(s.pid)));
  const r = await sigterm(child);
  await sleep(20);
  const step = (msg) => {
    const line = child.logLines.find((l) => l.includes(`"msg":"${msg}`));
    const m = line && /"ms":([0-9.]+)/.exec(line);
    return m ? Number(m[1]) : NaN;
  };
  r.steps = { killed: step('stopped scheduling'), closed: step('http server closed'), destroyed: step('worker pool destroyed') };
  const survivors = probes.filter((s) => alive(s.pid, s.starttime));
  killLeftovers(survivors);
  return { ...r, probes: probes.length, survivors: survivors.length };
}

async function bare() {
  const { child } = await startHelper('bare-http.mjs');
  await sleep(100);
  return sigterm(child);
}

import { readFileSync } from 'node:fs';
function readComm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export async function run({ env }) {
  const r = await alternate(RUNS, { idle, midRun, bare });
  const ms = (k) => r[k].map((x) => x.ms);
  const codes = (k) => [...new Set(r[k].map((x) => x.signal ?? x.code))].join(', ');
  const survivors = r.midRun.reduce((a, x) => a + x.survivors, 0);
  const idleMed = median(ms('idle'));
  const midMed = median(ms('midRun'));
  return section({
    name: 'shutdown',
    title: 'Shutdown: SIGTERM → process gone',
    env,
    command: 'node scripts/bench/shutdown.mjs',
    intro: `${RUNS} runs of each, alternating: the CLI with default flags (SIGTERM 300 ms after it listens), the CLI with 4 probes \`sleep 1000\` mid-run (\`--timeout 30s\`; SIGTERM once the 4 sleeps exist), and a bare node:http server (no handler: Node dies at once) as the floor. Time from \`process.kill(pid, 'SIGTERM')\` to the child's \`exit\` event in the parent; survivors are the probes' processes (noted before the signal) still alive (not zombies) 20 ms after the exit.`,
    rows: [
      { figure: 'idle: SIGTERM → gone (ms)', value: spread(ms('idle'), 1), target: '≤ 100 ms (median)', verdict: verdict(idleMed <= 100) },
      { figure: '4 probes mid-run: SIGTERM → gone (ms)', value: spread(ms('midRun'), 1), target: '≤ 150 ms (median)', verdict: verdict(midMed <= 150) },
      { figure: '4 probes mid-run: survivors (processes per run noted before the signal)', value: `${survivors} (${spread(r.midRun.map((x) => x.probes), 0)})`, target: '0', verdict: verdict(survivors === 0) },
      { figure: '4 probes mid-run, the drain\'s own log: probes killed / server closed / pool destroyed, ms after the drain began', value: ['killed', 'closed', 'destroyed'].map((k) => spread(r.midRun.map((x) => x.steps[k]), 1)).join(' / ') },
      { figure: 'bare node:http, default SIGTERM action (ms)', value: spread(ms('bare'), 1) },
      { figure: 'idle ÷ bare, mid-run ÷ bare (median of per-round ratios)', value: `${fmt(medianRatio(ms('idle'), ms('bare')), 2)}×, ${fmt(medianRatio(ms('midRun'), ms('bare')), 2)}×` },
      { figure: 'exit status: idle / mid-run / bare', value: `${codes('idle')} / ${codes('midRun')} / ${codes('bare')}`, target: '0 / 0 / –', verdict: verdict(codes('idle') === '0' && codes('midRun') === '0') },
    ],
  });
}

if (isMain(import.meta.url)) await runAlone({ run });
