import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pollUntil, runCli, startServer } from './helpers/server.js';

interface PromFamily {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }>;
}
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => PromFamily[];

t.test('JSON on a probe path: every field, same status as text, history newest first', async (t) => {
  const server = await startServer(['-cmd', "printf 'boom'; exit 4", '-period', '50ms']);
  t.teardown(() => server.kill());
  const viaQuery = await pollUntil(server, '/healthz?format=json', (r) => JSON.parse(r.body).history.length >= 3);
  t.equal(viaQuery.status, 503);
  t.equal(viaQuery.headers['content-type'], 'application/json');
  const body = JSON.parse(viaQuery.body);
  for (const field of ['path', 'command', 'status', 'healthy', 'reason', 'exitCode', 'signal', 'timedOut', 'output', 'outputBytes', 'truncated', 'startedAt', 'finishedAt', 'durationMs', 'consecutiveFailures', 'consecutiveSuccesses', 'history', 'stale', 'pending']) {
    t.ok(field in body, `has ${field}`);
  }
  t.match(body, { path: '/healthz', command: "printf 'boom'; exit 4", status: 'failure', healthy: false, reason: 'exit status 4', exitCode: 4, output: 'boom', outputBytes: 4, truncated: false, stale: false, pending: false });
  t.ok(body.consecutiveFailures >= 3);
  t.match(body.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.notOk('output' in body.history[0], 'history entries carry no output');
  t.ok(body.history[0].startedAt >= body.history[1].startedAt, 'newest first');

  const viaAccept = await server.get('/healthz', { accept: 'application/json' });
  t.equal(viaAccept.headers['content-type'], 'application/json');
  t.equal(viaAccept.status, 503);
});

t.test('/readyz and /livez in the kube-apiserver convention', async (t) => {
  const server = await startServer(['-cmd', 'true', '-url', '/ok', '-cmd', 'exit 1', '-url', '/dns', '-period', '100ms']);
  t.teardown(() => server.kill());
  await pollUntil(server, '/dns', (r) => r.body.includes('exit status 1'));
  await pollUntil(server, '/ok', (r) => r.status === 200);

  const plain = await server.get('/readyz');
  t.equal(plain.status, 503);
  t.equal(plain.body, 'readyz check failed\n');
  const verbose = await server.get('/readyz?verbose');
  t.equal(verbose.body, '[+]/ok ok\n[-]/dns failed: exit status 1\nreadyz check failed\n');
  const excluded = await server.get('/readyz?verbose&exclude=/dns');
  t.equal(excluded.status, 200);
  t.match(excluded.body, /readyz check passed\n$/);
  t.equal((await server.get('/readyz?exclude=/dns')).body, 'ok');

  const livez = await server.get('/livez');
  t.equal(livez.status, 200);
  t.equal(livez.body, 'ok');
});

t.test('/metrics parses as Prometheus text and agrees with the state', async (t) => {
  const server = await startServer(['-cmd', 'true', '-url', '/ok', '-cmd', 'sleep 5', '-url', '/slow', '-timeout', '100ms', '-cmd', 'head -c 20000 /dev/zero', '-url', '/big', '-period', '50ms']);
  t.teardown(() => server.kill());
  const reply = await pollUntil(server, '/metrics', (r) =>
      /exechealthz_probe_runs_total\{probe="\/slow",result="timeout"\} [1-9]/.test(r.body) &&
      /exechealthz_probe_output_truncated_total\{probe="\/big"\} [1-9]/.test(r.body),
    8000,
  );
  t.match(reply.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  const families = new Map(parsePrometheusTextFormat(reply.body).map((f) => [f.name, f]));
  const value = (name: string, labels: Record<string, string>) =>
    Number(families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);

  t.equal(families.get('exechealthz_probe_success')?.type, 'GAUGE');
  t.equal(value('exechealthz_probe_success', { probe: '/ok' }), 1);
  t.equal(value('exechealthz_probe_success', { probe: '/slow' }), 0);
  t.ok(value('exechealthz_probe_runs_total', { probe: '/ok', result: 'success' }) >= 1);
  t.ok(value('exechealthz_probe_runs_total', { probe: '/slow', result: 'timeout' }) >= 1);
  t.equal(value('exechealthz_probe_runs_total', { probe: '/ok', result: 'failure' }), 0, 'label sets exist from the start');
  t.equal(value('exechealthz_probe_exit_code', { probe: '/ok' }), 0);
  t.equal(value('exechealthz_probe_exit_code', { probe: '/slow' }), -1);
  t.ok(value('exechealthz_probe_output_truncated_total', { probe: '/big' }) >= 1, 'truncated runs counted', { body: reply.body });
  t.ok(value('exechealthz_processes_killed_total', {}) >= 1);
  t.ok(Math.abs(value('exechealthz_probe_last_run_timestamp_seconds', { probe: '/ok' }) - Date.now() / 1000) < 10);
  t.equal(families.get('exechealthz_probe_duration_seconds')?.type, 'HISTOGRAM');
  // The parser drops a histogram's labels; every series has observed at least one run.
  t.ok(families.get('exechealthz_probe_duration_seconds')?.metrics.every((m) => Number(m.buckets?.['+Inf']) >= 1));
  t.equal(value('exechealthz_build_info', {}), 1);
  t.ok(families.has('process_resident_memory_bytes'), "prom-client's default process metrics");
});

t.test('--failure-threshold 3: a healthy probe that fails twice then recovers never turns 503', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'exechealthz-'));
  const counter = join(dir, 'n');
  // Runs 2 and 3 fail; every other run succeeds.
  const cmd = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ne 2 ] && [ $n -ne 3 ]`;
  const server = await startServer(['-cmd', cmd, '-period', '50ms', '--failure-threshold', '3']);
  t.teardown(async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const statuses: number[] = [];
  let reply = await server.get('/healthz?format=json');
  for (let i = 0; i < 400 && JSON.parse(reply.body).history.length < 6; i++) {
    statuses.push((await server.get('/healthz')).status);
    reply = await server.get('/healthz?format=json');
  }
  const history = JSON.parse(reply.body).history as Array<{ status: string }>;
  t.same(
    history.slice(-4).map((h) => h.status),
    ['success', 'failure', 'failure', 'success'],
    'oldest runs: success, two failures, success',
  );
  const afterFirst = statuses.slice(statuses.indexOf(200));
  t.ok(afterFirst.length > 3 && afterFirst.every((s) => s === 200), `served 200 throughout (${afterFirst.length} polls)`);
  t.same(
    server.logs.filter((l) => String(l.msg).startsWith('probe /healthz is')).map((l) => l.to),
    ['healthy'],
    'the only state change is the first result',
  );
});

t.test('--success-threshold 2: an unhealthy probe needs two successes; the body says it is recovering', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'exechealthz-'));
  const counter = join(dir, 'n');
  const cmd = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 2 ]`;
  const server = await startServer(['-cmd', cmd, '-period', '300ms', '--success-threshold', '2']);
  t.teardown(async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const recovering = await pollUntil(server, '/healthz?format=json', (r) => JSON.parse(r.body).consecutiveSuccesses === 1);
  t.equal(recovering.status, 503);
  const text = await server.get('/healthz');
  t.match(text.body, /recovering: 1 more successful runs needed/);
  await pollUntil(server, '/healthz', (r) => r.status === 200);
  const change = server.logs.find((l) => l.to === 'healthy');
  t.match(change, { from: 'unhealthy', to: 'healthy', consecutive: 2, probe: '/healthz' });
});

t.test('--hide-output keeps output and commands off HTTP', async (t) => {
  const server = await startServer(['-cmd', 'echo s3cret; exit 1', '-period', '1h', '--hide-output']);
  t.teardown(() => server.kill());
  const text = await pollUntil(server, '/healthz', (r) => r.body.includes('exit status'));
  t.notMatch(text.body, /s3cret/);
  t.match(text.body, /^Healthz probe on \/healthz error: exit status 1, at /);
  const json = JSON.parse((await server.get('/healthz?format=json')).body);
  t.notOk('output' in json);
  t.notOk('command' in json);
  t.notMatch((await server.get('/')).body, /s3cret/);
});

t.test('--once: one line per probe, exit 0/1, logs on stderr, --json one document', async (t) => {
  const ok = await runCli(['--once', '-cmd', 'true', '-url', '/a', '-cmd', 'echo fine', '-url', '/b']);
  t.equal(ok.code, 0);
  t.equal(ok.stdout, '[+]/a ok\n[+]/b ok\n');

  const bad = await runCli(['--once', '-cmd', 'true', '-url', '/a', '-cmd', 'exit 3', '-url', '/b', '--timeout', '1s']);
  t.equal(bad.code, 1);
  t.equal(bad.stdout, '[+]/a ok\n[-]/b failed: exit status 3\n');
  t.match(bad.stderr, /"msg":"probe failed"/, 'logs go to stderr');

  const hung = await runCli(['--once', '-cmd', 'sleep 30', '--timeout', '200ms']);
  t.equal(hung.code, 1);
  t.equal(hung.stdout, '[-]/healthz failed: timed out after 200ms\n');

  const json = await runCli(['--once', '--json', '-cmd', 'echo hi']);
  t.equal(json.code, 0);
  const doc = JSON.parse(json.stdout);
  t.equal(doc.healthy, true);
  t.equal(doc.probes[0].output, 'hi\n');

  const usage = await runCli(['--once', '--period', 'x']);
  t.equal(usage.code, 2);
});
