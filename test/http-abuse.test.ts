/**
 * Abusive HTTP clients against the real CLI (issue 6, item 3). Raw sockets wherever
 * http.request would normalise or refuse what a hostile client sends. The server's timeouts
 * are in src/http/server.ts (SERVER_TIMEOUTS): headers within 5 s, a request within 10 s,
 * idle keep-alive closed after 5 s, checked every second.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { httpGet, pollUntil, startServer, type RunningServer } from './helpers/server.js';

interface Exchange {
  /** Everything the server sent, as latin1 (headers are ASCII; bodies here are too). */
  text: string;
  /** Milliseconds from connect to the server closing the connection (undefined: still open at the deadline). */
  closedAfterMs: number | undefined;
  error?: string;
}

/** Sends raw bytes, then collects what comes back until the server closes or `timeoutMs` passes. */
function raw(port: number, data: string | Buffer, timeoutMs = 5000): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs: closed ? performance.now() - t0 : undefined, ...(error ? { error } : {}) });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => done(true));
    const timer = setTimeout(() => done(false), timeoutMs);
  });
}

function statuses(text: string): number[] {
  // Not anchored to a line start: a pipelined answer follows the previous body directly.
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

function header(text: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)\\r$`, 'im').exec(text)?.[1];
}

async function server(t: Test, extra: string[] = []): Promise<RunningServer> {
  const s = await startServer(['--cmd', 'echo ok', '--period', '1h', ...extra]);
  t.teardown(() => s.kill());
  await pollUntil(s, '/healthz', (r) => r.status === 200, 5000);
  return s;
}

/** /healthz answers 200 within `boundMs`; returns the time it took. */
async function answersQuickly(t: Test, s: RunningServer, boundMs = 500, what = '/healthz answers 200'): Promise<number> {
  const t0 = performance.now();
  const r = await s.get('/healthz');
  const ms = performance.now() - t0;
  t.equal(r.status, 200, what);
  t.ok(ms < boundMs, `${what} in ${ms.toFixed(1)}ms (bound ${boundMs}ms)`);
  return ms;
}

// The slow cases wait on the server's timers; they run beside the quick ones.
t.jobs = 3;

t.test('slowloris: headers trickled 1 byte/s are dropped by headersTimeout while /healthz answers others', async (t) => {
  const s = await server(t);
  const t0 = performance.now();
  const received: Buffer[] = [];
  let closedAt: number | undefined;
  const socket: Socket = connect(s.port, '127.0.0.1');
  t.teardown(() => socket.destroy());
  socket.on('data', (c: Buffer) => received.push(c));
  socket.on('error', () => {});
  socket.on('close', () => (closedAt = performance.now() - t0));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');

  // One byte a second, at most 9 (the test stays under 10 s); others are served meanwhile.
  let worst = 0;
  for (let i = 0; i < 9 && closedAt === undefined; i++) {
    const tick = performance.now();
    const r = await httpGet(s.port, '/healthz');
    t.equal(r.status, 200, `another client is served at ${((tick - t0) / 1000).toFixed(1)}s`);
    worst = Math.max(worst, performance.now() - tick);
    if (!socket.destroyed) socket.write('a');
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
  }
  t.ok(closedAt !== undefined, 'the server dropped the slow connection');
  t.ok(closedAt! >= 4500 && closedAt! <= 7500, `dropped after ${(closedAt! / 1000).toFixed(2)}s (headersTimeout 5 s, checked every 1 s)`);
  t.ok(worst < 500, `other clients were answered within ${worst.toFixed(1)}ms`);
  const answer = Buffer.concat(received).toString('latin1');
  t.notMatch(answer, /^HTTP\/1\.1 200/, 'the slow request was never served');
  t.match(answer, /^(HTTP\/1\.1 408 |$)/, `dropped silently or with 408 Request Timeout (got ${JSON.stringify(answer.split('\r\n')[0])})`);
  t.equal(s.proc.exitCode, null, 'the server is still running');
});

function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}
const IDLE = 2000;
const fdSkip = openFileLimit() < IDLE + 500 ? `needs ulimit -n >= ${IDLE + 500} (raise it for the test run)` : false;

t.test(`${IDLE} concurrent idle connections: /healthz still answers, and the idle ones are closed by the server`, { skip: fdSkip }, async (t) => {
  const s = await server(t);
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((sock) => sock.destroy()));
  let closedByServer = 0;
  let errors = 0;
  // Opened in batches, so that the listen backlog (511) is not what is being tested.
  for (let batch = 0; batch < IDLE / 200; batch++) {
    await Promise.all(
      Array.from({ length: 200 }, () => {
        return new Promise<void>((resolve) => {
          const sock = connect(s.port, '127.0.0.1', () => resolve());
          sock.on('error', () => {
            errors++;
            resolve();
          });
          sock.on('close', () => closedByServer++);
          sock.resume(); // read, so that the server's FIN is seen
          sockets.push(sock);
        });
      }),
    );
  }
  t.equal(errors, 0, `${IDLE} connections opened`);
  t.equal(closedByServer, 0, 'all still open');
  for (let i = 0; i < 3; i++) await answersQuickly(t, s, 1000, `with ${IDLE} idle connections open, /healthz answers 200`);
  // Nothing was ever sent on them: the server must not keep them for ever (each holds a file
  // descriptor). headersTimeout (5 s from connect) and the 1 s check close them.
  const t0 = performance.now();
  while (closedByServer < IDLE && performance.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 100));
  t.equal(closedByServer, IDLE, `the server closed ${closedByServer} of ${IDLE} idle connections within ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  await answersQuickly(t, s);
  t.equal(s.proc.exitCode, null, 'the server is still running');
});

t.test('a 64 KB header → 431 Request Header Fields Too Large, the server unharmed', async (t) => {
  const s = await server(t);
  const r = await raw(s.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  t.ok(r.closedAfterMs !== undefined, 'the connection is closed');
  t.same(statuses(r.text), [431], `answered ${JSON.stringify(r.text.split('\r\n')[0])}`);
  await answersQuickly(t, s);
});

t.test('a garbage request line → 400, the server unharmed', async (t) => {
  const s = await server(t);
  const garbage = ['HELLO WORLD\r\n\r\n', '\u0000\u0001\u0002\u0003\r\n\r\n', 'GET\r\n\r\n', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', 'G\u00e9T / HTTP/1.1\r\n\r\n'];
  for (const line of garbage) {
    const r = await raw(s.port, Buffer.from(line, 'latin1'));
    t.same(statuses(r.text), [400], `${JSON.stringify(line.slice(0, 24))} → 400`);
    t.ok(r.closedAfterMs !== undefined, 'and the connection is closed');
  }
  await answersQuickly(t, s);
});

t.test('pipelined requests: three in one write → three responses, in order', async (t) => {
  const s = await server(t);
  const r = await raw(
    s.port,
    'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nHEAD /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  t.same(statuses(r.text), [200, 404, 200], 'three answers: /healthz 200, /nope 404, /livez 200');
  t.match(r.text, /\r\n\r\nok(HTTP\/1\.1 404|\r\n)/, "the first body is /healthz's ok");
  t.ok(r.closedAfterMs !== undefined, 'closed after the last, as asked');
});

t.test('PUT, DELETE, TRACE, POST and OPTIONS → 405 with Allow: GET, HEAD', async (t) => {
  const s = await server(t);
  for (const method of ['PUT', 'DELETE', 'TRACE', 'POST', 'OPTIONS', 'PATCH']) {
    const body = method === 'PUT' || method === 'POST' || method === 'PATCH' ? 'hello' : '';
    const r = await raw(s.port, `${method} /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    t.same(statuses(r.text), [405], `${method} /healthz → 405`);
    t.equal(header(r.text, 'Allow'), 'GET, HEAD', `${method}: Allow: GET, HEAD`);
  }
  for (const path of ['/', '/livez', '/readyz', '/metrics']) {
    const r = await raw(s.port, `DELETE ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.same(statuses(r.text), [405], `DELETE ${path} → 405`);
  }
});

t.test('encoded and traversal paths (with --allow-quit) → 404 or the right probe, never /quit', async (t) => {
  const s = await server(t, ['--allow-quit']);
  const cases: Array<[string, number]> = [
    ['/%2e%2e/', 404],
    ['//healthz', 404],
    ['/healthz/../quit', 404],
    ['/healthz/%2e%2e/quit', 404],
    ['/%2e%2e/quit', 404],
    ['/%2E%2E/%2E%2E/quit', 404],
    ['/./quit', 404],
    ['//quit', 404],
    ['/%2fquit', 404],
    ['/quit/', 404],
    ['/QUIT', 404],
    ['/quit%00', 404],
    ['/quit%20', 404],
    ['/quit;x', 404],
    ['http://x/quit', 404],
    ['/%', 400],
    ['/%68ealthz', 200],
    ['/healthz?/../quit', 200],
    ['/healthz?x=%2e%2e%2fquit', 200],
  ];
  for (const [path, want] of cases) {
    const r = await raw(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.same(statuses(r.text), [want], `GET ${path} → ${want}`);
    t.notMatch(r.text, /draining/, `GET ${path} did not reach /quit`);
  }
  await answersQuickly(t, s);
  t.equal(s.proc.exitCode, null, 'the server is still running');
  t.notOk(
    s.logs.some((l) => /quit/.test(String(l.msg))),
    'no /quit was logged',
  );
  // The control: /quit itself was enabled, and really drains.
  const q = await s.get('/quit');
  t.equal(q.status, 200, 'GET /quit itself answers 200');
  t.equal((await s.exited).code, 0, 'and the server drains and exits 0');
});

t.test('an 8 KB URL → 404, never a crash; a 32 KB one is refused', async (t) => {
  const s = await server(t);
  const r8 = await raw(s.port, `GET /${'a'.repeat(8 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  t.ok([404, 414].includes(statuses(r8.text)[0]!), `8 KB URL → ${statuses(r8.text)[0]}`);
  const probe8 = await raw(s.port, `GET /healthz?${'q'.repeat(8 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  t.same(statuses(probe8.text), [200], '/healthz with an 8 KB query → the probe, 200');
  const r32 = await raw(s.port, `GET /${'a'.repeat(32 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  t.ok(r32.closedAfterMs !== undefined, 'the 32 KB request is refused and its connection closed');
  t.ok([414, 431].includes(statuses(r32.text)[0]!), `32 KB URL → ${statuses(r32.text)[0]} (want 414 or 431)`);
  await answersQuickly(t, s);
  t.equal(s.proc.exitCode, null, 'the server is still running');
});
