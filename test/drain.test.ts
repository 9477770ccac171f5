import t from 'tap';
import { connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { CLI, startServer } from './helpers/server.js';
import { killMatching, livePidsMatching, uniqueSleep, waitFor, waitGone } from './helpers/procs.js';
import { ShutdownSignals, exitCodeFor } from '../src/lifecycle/signals.js';

function openPartial(port: number, path: string): Promise<{ socket: Socket; reply: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      // Headers not finished: the connection is busy, not idle, until we send the blank line.
      socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n`);
      let data = '';
      const reply = new Promise<string>((res) => {
        socket.setEncoding('utf8');
        socket.on('data', (c: string) => (data += c));
        socket.on('close', () => res(data));
      });
      resolve({ socket, reply });
    });
    socket.on('error', reject);
  });
}

t.test('SIGTERM kills running probe trees and exits 0', async (t) => {
  const s = uniqueSleep();
  const server = await startServer(['-cmd', `sleep ${s} & sleep ${s}`, '-timeout', '10s']);
  t.teardown(async () => {
    await server.kill();
    killMatching(s);
  });
  await waitFor(() => livePidsMatching(`sleep ${s}`).length >= 2, 5000);
  server.proc.kill('SIGTERM');
  const { code, signal } = await server.exited;
  t.equal(code, 0, `exit 0 (signal ${signal})`);
  t.same(await waitGone(s, 1000), [], 'no probe process survived the drain');
  const steps = server.logs.map((l) => l.msg).slice(-4);
  t.same(steps, ['draining', 'stopped scheduling and killed running probes', 'http server closed', 'worker pool destroyed; exiting'].map(String), 'each step logged');
  const killedLine = server.logs.find((l) => l.msg === 'stopped scheduling and killed running probes');
  t.ok(Number(killedLine?.killed) >= 2, 'the kill is counted');
});

t.test('while draining: probe paths keep their last result, /readyz answers 503, in-flight requests finish', async (t) => {
  const server = await startServer(['-cmd', 'true', '-period', '1h', '--shutdown-timeout', '5s']);
  t.teardown(() => server.kill());
  await waitFor(() => server.logs.some((l) => String(l.msg).includes('is healthy')));
  const probe = await openPartial(server.port, '/healthz');
  const ready = await openPartial(server.port, '/readyz?verbose');
  server.proc.kill('SIGTERM');
  await waitFor(() => server.logs.some((l) => l.msg === 'stopped scheduling and killed running probes'));
  probe.socket.write('\r\n');
  ready.socket.write('\r\n');
  const [probeReply, readyReply] = await Promise.all([probe.reply, ready.reply]);
  t.match(probeReply, /^HTTP\/1\.1 200 OK/);
  t.match(probeReply, /\r\n\r\nok$/);
  t.match(readyReply, /^HTTP\/1\.1 503/);
  t.match(readyReply, /\[-\]shutdown failed: draining/);
  const { code } = await server.exited;
  t.equal(code, 0);
  t.equal(server.logs.find((l) => l.msg === 'http server closed')?.connections, 'clean');
});

t.test('idle keep-alive connections do not hold the drain; stuck ones are cut at --shutdown-timeout', async (t) => {
  const server = await startServer(['-cmd', 'true', '-period', '1h', '--shutdown-timeout', '300ms']);
  t.teardown(() => server.kill());
  const stuck = await openPartial(server.port, '/healthz'); // never finishes its request
  const t0 = Date.now();
  server.proc.kill('SIGTERM');
  const { code } = await server.exited;
  const elapsed = Date.now() - t0;
  t.equal(code, 0);
  t.ok(elapsed >= 250, `waited for the stuck request (${elapsed}ms)`);
  t.ok(elapsed < 4000, `but not for ever (${elapsed}ms)`);
  t.equal(server.logs.find((l) => l.msg === 'http server closed')?.connections, 'forced');
  stuck.socket.destroy();
});

t.test('a second signal during the drain exits at once: 143 for SIGTERM, 130 for SIGINT', async (t) => {
  for (const [second, expected] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const server = await startServer(['-cmd', 'true', '-period', '1h', '--shutdown-timeout', '30s']);
    t.teardown(() => server.kill());
    const stuck = await openPartial(server.port, '/healthz');
    server.proc.kill('SIGINT');
    await waitFor(() => server.logs.some((l) => l.msg === 'stopped scheduling and killed running probes'));
    server.proc.kill(second);
    const { code } = await server.exited;
    t.equal(code, expected, `second ${second} → ${expected}`);
    stuck.socket.destroy();
  }
});

t.test('ShutdownSignals: a request before the handler exists is kept; a second signal exits', async (t) => {
  const exits: number[] = [];
  const signals = new ShutdownSignals((code) => exits.push(code));
  t.teardown(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });
  process.kill(process.pid, 'SIGTERM'); // a real signal, before anything listens
  await waitFor(() => signals.requested === 'SIGTERM');
  const seen: string[] = [];
  signals.onShutdown((reason) => seen.push(reason));
  t.same(seen, ['SIGTERM'], 'the early request reached the late handler');
  signals.request('/quit');
  t.same(seen, ['SIGTERM'], 'a drain is started once');
  process.kill(process.pid, 'SIGINT');
  await waitFor(() => exits.length === 1);
  t.same(exits, [130]);
  t.equal(exitCodeFor('SIGTERM'), 143);
});

t.test('ShutdownSignals: after /quit, the first real signal does not cut the drain short', async (t) => {
  const exits: number[] = [];
  const signals = new ShutdownSignals((code) => exits.push(code));
  t.teardown(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });
  const seen: string[] = [];
  signals.onShutdown((reason) => seen.push(reason));
  signals.request('/quit');
  process.kill(process.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 50));
  t.same(exits, [], 'no hard exit');
  t.same(seen, ['/quit'], 'one drain');
  process.kill(process.pid, 'SIGTERM');
  await waitFor(() => exits.length === 1);
  t.same(exits, [143], 'a second signal does exit');
});

t.test('--once: SIGTERM kills the running probe trees and exits 143', async (t) => {
  const s = uniqueSleep();
  t.teardown(() => killMatching(s));
  const proc = spawn(process.execPath, [CLI, '--once', '-cmd', `sleep ${s} & sleep ${s}`, '--timeout', '30s'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await waitFor(() => livePidsMatching(`sleep ${s}`).length >= 2, 10_000);
  proc.kill('SIGTERM');
  t.equal(await exited, 143);
  t.same(await waitGone(s), [], 'no probe process outlived --once');
});
