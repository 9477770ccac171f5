import t from 'tap';
import { readFileSync } from 'node:fs';
import { pollUntil, startServer } from './helpers/server.js';
import { killMatching, uniqueSleep, waitGone } from './helpers/procs.js';

interface Run {
  startedAt: string;
  finishedAt: string;
  status: string;
}
const history = async (server: Awaited<ReturnType<typeof startServer>>, path: string): Promise<Run[]> =>
  JSON.parse((await server.get(`${path}?format=json`)).body).history as Run[];

t.test('a probe slower than its period runs back to back, never two at once', async (t) => {
  const server = await startServer(['-cmd', 'sleep 0.2', '-period', '50ms']);
  t.teardown(() => server.kill());
  await pollUntil(server, '/healthz?format=json', (r) => JSON.parse(r.body).history.length >= 4, 8000);
  const runs = (await history(server, '/healthz')).reverse(); // oldest first
  for (let i = 1; i < runs.length; i++) {
    const gap = Date.parse(runs[i]!.startedAt) - Date.parse(runs[i - 1]!.finishedAt);
    t.ok(gap >= 0, `run ${i} started after run ${i - 1} finished (gap ${gap}ms)`);
    t.ok(gap < 150, `and right after it (gap ${gap}ms)`);
  }
});

t.test('the period is counted from the previous start', async (t) => {
  const server = await startServer(['-cmd', 'sleep 0.1', '-period', '300ms']);
  t.teardown(() => server.kill());
  await pollUntil(server, '/healthz?format=json', (r) => JSON.parse(r.body).history.length >= 4, 8000);
  const starts = (await history(server, '/healthz')).reverse().map((r) => Date.parse(r.startedAt));
  const intervals = starts.slice(1).map((s, i) => s - starts[i]!);
  // From the start: ~300 ms apart. From the end of a 100 ms run it would be ~400 ms.
  const median = intervals.sort((a, b) => a - b)[Math.floor(intervals.length / 2)]!;
  t.ok(median >= 280 && median < 380, `median interval between starts ${median}ms`);
});

t.test('several probes start staggered over min(period, 1s)', async (t) => {
  const args = [0, 1, 2, 3].flatMap((i) => ['-cmd', 'true', '-url', `/p${i}`]);
  const server = await startServer([...args, '-period', '800ms']);
  t.teardown(() => server.kill());
  for (const i of [0, 1, 2, 3]) await pollUntil(server, `/p${i}`, (r) => r.status === 200);
  const firsts: number[] = [];
  for (const i of [0, 1, 2, 3]) {
    const runs = await history(server, `/p${i}`);
    firsts.push(Date.parse(runs[runs.length - 1]!.startedAt));
  }
  const offsets = firsts.map((f) => f - firsts[0]!);
  t.ok(offsets[1]! >= 150 && offsets[1]! <= 350, `second probe ~200ms after the first (${offsets[1]}ms)`);
  t.ok(offsets[3]! >= 500 && offsets[3]! <= 800, `fourth ~600ms after the first (${offsets[3]}ms)`);
});

t.test('8 hung probes do not delay another probe\'s runs', async (t) => {
  const s = uniqueSleep();
  const hung = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => ['-cmd', `sleep ${s}`, '-url', `/hang${i}`]);
  const server = await startServer([...hung, '-cmd', 'true', '-url', '/fast', '-period', '100ms', '-timeout', '20s']);
  t.teardown(async () => {
    await server.kill();
    killMatching(s);
  });
  const reply = await pollUntil(server, '/fast?format=json', (r) => JSON.parse(r.body).history.length >= 8, 5000);
  const runs = (JSON.parse(reply.body).history as Run[]).reverse();
  const starts = runs.map((r) => Date.parse(r.startedAt));
  const worst = Math.max(...starts.slice(1).map((x, i) => x - starts[i]!));
  t.ok(worst < 400, `the fast probe kept its 100ms schedule (largest gap ${worst}ms)`);
  const hang0 = JSON.parse((await server.get('/hang0?format=json')).body);
  t.equal(hang0.pending, true, 'the hung probes are still on their first run');
  await server.kill();
  t.same(await waitGone(s), [], 'the drain killed all 8 hung trees');
});

t.test('200 MB output floods: output capped, server RSS grows by less than 10 MB', async (t) => {
  const server = await startServer(['-cmd', 'head -c 200000000 /dev/zero', '-period', '10ms', '-timeout', '20s']);
  t.teardown(() => server.kill());
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))![1]) / 1024;
  // After two floods the allocator and both heaps are warm; growth is measured from there.
  await pollUntil(server, '/healthz?format=json', (r) => JSON.parse(r.body).history.length >= 2, 20000);
  const before = rss();
  const reply = await pollUntil(server, '/healthz?format=json', (r) => JSON.parse(r.body).history.length >= 6, 60000);
  const after = rss();
  const body = JSON.parse(reply.body);
  t.equal(body.outputBytes, 200_000_000);
  t.equal(body.truncated, true);
  t.equal(body.output.length, 10240);
  t.ok(after - before < 10, `RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB`);
});
