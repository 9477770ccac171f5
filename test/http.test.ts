import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil, startServer } from './helpers/server.js';
import { killMatching, uniqueSleep, waitGone } from './helpers/procs.js';

const RFC3339_MS = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

t.test("the seed's walk-through: ls /tmp/test → 503, touch → 200 ok", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'exechealthz-'));
  const file = join(dir, 'test');
  const server = await startServer(['-cmd', `ls ${file}`, '-period', '100ms']);
  t.teardown(async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const failing = await pollUntil(server, '/healthz', (r) => r.status === 503 && r.body.includes('error'));
  t.match(
    failing.body,
    new RegExp(`^Healthz probe on /healthz error: Result of last exec: ls: .*${file}.*No such file or directory\\n, at ${RFC3339_MS.source}, error exit status 2\\n$`),
  );
  t.equal(failing.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(failing.headers['x-content-type-options'], 'nosniff');

  writeFileSync(file, '');
  const ok = await pollUntil(server, '/healthz', (r) => r.status === 200);
  t.equal(ok.body, 'ok');
  t.equal(ok.headers['content-type'], 'text/plain; charset=utf-8');

  const changes = server.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('probe /healthz is'));
  t.same(
    changes.map((l) => [l.from, l.to, l.reason]),
    [
      ['unknown', 'unhealthy', 'exit status 2'],
      ['unhealthy', 'healthy', undefined],
    ],
    'one log line per state change, with the reason',
  );
});

t.test('503 with a clear body until the first result exists', async (t) => {
  const s = uniqueSleep(0);
  const server = await startServer(['-cmd', `sleep 1.${s.split('.')[1]}`]);
  t.teardown(async () => {
    await server.kill();
    killMatching(s);
  });
  const r = await server.get('/healthz');
  t.equal(r.status, 503);
  t.match(r.body, /has no result yet/);
});

t.test('a hung probe: timed out after the budget, in Go duration syntax, and its tree is gone', async (t) => {
  const s = uniqueSleep();
  const server = await startServer(['-cmd', `sleep ${s}`, '-timeout', '500ms', '-period', '10s']);
  t.teardown(async () => {
    await server.kill();
    killMatching(s);
  });
  const r = await pollUntil(server, '/healthz', (r) => r.body.includes('timed out'));
  t.equal(r.status, 503);
  t.match(r.body, /, error timed out after 500ms\n$/);
  t.same(await waitGone(s), [], 'no process of the probe is left');
});

t.test('stale results answer 503 with the Go message', async (t) => {
  const server = await startServer(['-cmd', 'echo fine', '-period', '1h', '-latency', '300ms', '-timeout', '200ms']);
  t.teardown(() => server.kill());
  await pollUntil(server, '/healthz', (r) => r.status === 200);
  const stale = await pollUntil(server, '/healthz', (r) => r.status === 503, 3000);
  t.match(stale.body, new RegExp(`^Latest result too old to be useful: Result of last exec: fine\\n, at ${RFC3339_MS.source}, error None\\.\\n$`));
  t.ok(
    server.logs.some((l) => l.level === 'warn' && String(l.msg).includes('--period is not below --latency')),
    'a period at or above the latency logs a warning',
  );
});

t.test('--output answers the output; output is shown as written (no format verbs)', async (t) => {
  const server = await startServer(['-cmd', "printf '50%% bad'", '-output', '-period', '1h']);
  t.teardown(() => server.kill());
  const r = await pollUntil(server, '/healthz', (r) => r.status === 200);
  t.equal(r.body, '50% bad');
});

t.test('routing: several urls, index, 404, 405 with Allow, HEAD', async (t) => {
  const server = await startServer(['-cmd', 'true', '-url', '/a', '-cmd', 'exit 3', '-url', '/b', '-period', '100ms']);
  t.teardown(() => server.kill());
  await pollUntil(server, '/a', (r) => r.status === 200);
  const b = await pollUntil(server, '/b', (r) => r.status === 503 && r.body.includes('error'));
  t.match(b.body, /error exit status 3\n$/);

  const index = await server.get('/');
  t.equal(index.status, 200);
  t.match(index.body, /\/a\s+true/);
  t.match(index.body, /\/b\s+exit 3/);

  t.equal((await server.get('/nope')).status, 404);
  t.equal((await server.get('/quit')).status, 404, '/quit is off without --allow-quit');
  t.equal((await server.get('/a/')).status, 404);

  const post = await server.get('/a', {}, 'POST');
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');

  const head = await server.get('/a', {}, 'HEAD');
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal(head.headers['content-length'], '2');
});

t.test('unknown command: sh\'s own message and exit status 127', async (t) => {
  const server = await startServer(['-cmd', 'no-such-command-xyz', '-period', '1h']);
  t.teardown(() => server.kill());
  const r = await pollUntil(server, '/healthz', (r) => r.status === 503 && r.body.includes('error'));
  t.match(r.body, /no-such-command-xyz: .*not found/);
  t.match(r.body, /error exit status 127\n$/);
});

t.test('/quit with --allow-quit answers, logs who asked, drains and exits 0', async (t) => {
  const server = await startServer(['--allow-quit', '-period', '1h']);
  t.teardown(() => server.kill());
  const r = await server.get('/quit', { 'user-agent': 'quit-test' }, 'POST');
  t.equal(r.status, 200);
  const { code } = await server.exited;
  t.equal(code, 0);
  const quitLog = server.logs.find((l) => l.msg === '/quit requested');
  t.match(quitLog?.requestedBy, /127\.0\.0\.1:\d+ \(quit-test\)/);
});

t.test('a failing probe logs one line, not one per run', async (t) => {
  const server = await startServer(['-cmd', 'exit 1', '-period', '10ms']);
  t.teardown(() => server.kill());
  await pollUntil(server, '/metrics', (r) => /exechealthz_probe_runs_total\{probe="\/healthz",result="failure"\} (\d{2,})/.test(r.body));
  const lines = server.logs.filter((l) => String(l.msg).startsWith('probe /healthz'));
  t.equal(lines.length, 1);
});

t.test('logging survives a closed stdout (EPIPE)', async (t) => {
  const server = await startServer(['-cmd', 'exit $(($(date +%N) % 2))', '-period', '20ms']);
  t.teardown(() => server.kill());
  server.proc.stdout!.destroy(); // the reader goes away; every further log line hits EPIPE
  await new Promise((r) => setTimeout(r, 500));
  const r = await server.get('/readyz');
  t.ok([200, 503].includes(r.status), 'still serving');
  t.equal(server.proc.exitCode, null, 'still running');
});
