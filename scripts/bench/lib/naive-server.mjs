/**
 * The naive baseline of the isolation benchmark, written for the benchmark only: the same
 * probes on the same schedule and budgets, but spawned from the main thread with
 * child_process (as a straightforward port of the Go original would), output read and capped
 * on the main thread, the group killed at the budget. Same IPC protocol as app-harness.mjs.
 * argv[2] is JSON: {probes: [{path, command, budgetMs}], periodMs, maxOutput}.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { startDelayMonitor } from './event-loop-delay.mjs';
import { readFileSync } from 'node:fs';

const options = JSON.parse(process.argv[2]);
const maxOutput = options.maxOutput ?? 10240;
const last = new Map();
const children = new Set();
const runs = { total: 0, timedOut: 0 };

function runOnce(probe) {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', probe.command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child.pid);
    const chunks = [];
    let kept = 0;
    const onData = (chunk) => {
      if (kept < maxOutput) {
        chunks.push(chunk.subarray(0, maxOutput - kept));
        kept += Math.min(chunk.length, maxOutput - kept);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, probe.budgetMs);
    child.once('exit', (code) => {
      children.delete(child.pid);
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL'); // leftovers of the group
      } catch {
        /* none */
      }
      child.stdout.destroy();
      child.stderr.destroy();
      runs.total++;
      if (timedOut) runs.timedOut++;
      resolve({ ok: code === 0 && !timedOut, output: Buffer.concat(chunks).toString(), at: Date.now() });
    });
    child.once('error', () => {
      clearTimeout(timer);
      resolve({ ok: false, output: 'spawn failed', at: Date.now() });
    });
  });
}

let running = true;
const timers = new Set();
function schedule(probe, plannedAt) {
  const t = setTimeout(async () => {
    timers.delete(t);
    if (!running) return;
    last.set(probe.path, await runOnce(probe));
    if (running) schedule(probe, Math.max(plannedAt + options.periodMs, performance.now()));
  }, Math.max(0, plannedAt - performance.now()));
  timers.add(t);
}
const now = performance.now();
options.probes.forEach((p, i) => schedule(p, now + (i * options.periodMs) / options.probes.length));

const server = createServer((req, res) => {
  const result = last.get(req.url);
  const ok = result?.ok === true;
  const body = ok ? 'ok' : `Healthz probe on ${req.url} error: ${result ? result.output : 'no result yet'}\n`;
  res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
});

const delay = startDelayMonitor();
function childCpu() {
  const f = readFileSync('/proc/self/stat', 'latin1');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[13]) + Number(x[14])) / 100;
}
let mark = { t: performance.now(), cpu: process.cpuUsage(), children: childCpu(), runs: 0 };
process.on('message', (message) => {
  if (message.type === 'start') {
    delay.reset();
    mark = { t: performance.now(), cpu: process.cpuUsage(), children: childCpu(), runs: runs.total };
    process.send({ id: message.id });
  } else if (message.type === 'stop') {
    const seconds = (performance.now() - mark.t) / 1000;
    const cpu = process.cpuUsage(mark.cpu);
    process.send({
      id: message.id,
      seconds,
      eld: delay.summary(),
      cpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      childCpuPct: ((childCpu() - mark.children) / seconds) * 100,
      runs: runs.total - mark.runs,
    });
  } else if (message.type === 'exit') {
    running = false;
    for (const t of timers) clearTimeout(t);
    for (const pid of children) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    server.close();
    process.send({ id: message.id }, () => process.exit(0));
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
