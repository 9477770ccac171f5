#!/usr/bin/env node
// `npm test`: runs tap, then proves that nothing the tests started is still running.
// Every process the suite starts inherits EXECHEALTHZ_TEST_RUN=<id>, so afterwards a look at
// /proc/*/environ finds exactly this run's leftovers (never another session's processes).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';

if (process.env.EXECHEALTHZ_TEST_RUN) {
  console.error('scripts/test.mjs: already inside a test run; refusing to start another');
  process.exit(1);
}
const runId = randomUUID();
const marker = `EXECHEALTHZ_TEST_RUN=${runId}`;
const tap = spawn('npx', ['tap', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, EXECHEALTHZ_TEST_RUN: runId },
});
const code = await new Promise((resolve) => tap.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));

function leftovers() {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat[stat.lastIndexOf(')') + 2];
      if (state === 'Z' || state === 'X') continue; // dead: only its parent's wait is missing
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(marker)) continue;
      found.push(`${name} ${readFileSync(`/proc/${name}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

let left = leftovers();
for (let i = 0; i < 30 && left.length > 0; i++) {
  await new Promise((r) => setTimeout(r, 100));
  left = leftovers();
}
if (left.length > 0) {
  console.error(`# leftover processes after the suite (${left.length}):\n${left.map((l) => `#   ${l}`).join('\n')}`);
  for (const line of left) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  process.exit(code || 1);
}
console.log('# no process started by the suite is left running');
process.exit(code);
