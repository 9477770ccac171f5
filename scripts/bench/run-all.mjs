/**
 * `npm run bench`: every benchmark, one after another, then BENCHMARKS.md rewritten (its
 * generated sections replaced, hand-written notes outside the markers kept). Bounded: each
 * benchmark is bounded in runs and seconds; the whole takes about 4–5 minutes on 2 cores.
 */
import { BENCHMARKS_MD, LOAD_TOOL, cleanup, environment, section, writeSection } from './lib/common.mjs';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const BENCHES = ['throughput', 'isolation', 'kill-latency', 'overhead', 'shutdown', 'memory', 'scale', 'workers'];
const only = process.argv.slice(2);

const env = { ...environment(), loadTool: LOAD_TOOL };
const t0 = performance.now();
const summary = [];
let failed = false;
try {
  for (const name of BENCHES) {
    if (only.length && !only.includes(name)) continue;
    const s = performance.now();
    process.stderr.write(`bench ${name}…\n`);
    try {
      const bench = await import(`./${name}.mjs`);
      const result = await bench.run({ env: { ...environment(), loadTool: LOAD_TOOL } });
      writeSection(result.name, result.markdown);
      const verdicts = [...result.markdown.matchAll(/\| (pass|\*\*miss\*\*) \|$/gm)].map((m) => m[1]);
      summary.push({ name, seconds: (performance.now() - s) / 1000, pass: verdicts.filter((v) => v === 'pass').length, miss: verdicts.filter((v) => v !== 'pass').length });
    } catch (err) {
      failed = true;
      process.stderr.write(`bench ${name} failed: ${err?.stack ?? err}\n`);
      summary.push({ name, seconds: (performance.now() - s) / 1000, error: String(err?.message ?? err) });
    }
    await cleanup();
    process.stderr.write(`bench ${name} done in ${((performance.now() - s) / 1000).toFixed(1)} s\n`);
  }
} finally {
  await cleanup();
}
const total = (performance.now() - t0) / 1000;
const lines = [
  `Last full run: ${env.date} · nproc ${env.nproc} · Node ${env.node} · load average at start ${env.load} · HTTP load: ${env.loadTool} · ${total.toFixed(0)} s in all.`,
  '',
  'Command: `npm run bench` (= `npm run build && node scripts/bench/run-all.mjs`); each benchmark also runs alone as `node scripts/bench/<name>.mjs`.',
  '',
  '| benchmark | seconds | targets met | targets missed |',
  '| --- | --- | --- | --- |',
  ...summary.map((s) => `| ${s.name} | ${s.seconds.toFixed(0)} | ${s.error ? 'error: ' + s.error : s.pass} | ${s.error ? '' : s.miss} |`),
];
if (!only.length) writeSection('summary', lines.join('\n'));
process.stderr.write(`${lines.join('\n')}\n`);
if (failed) process.exitCode = 1;
