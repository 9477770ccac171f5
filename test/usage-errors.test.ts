/**
 * Bad configuration through the real CLI (issue 6, item 4; DESIGN §2): every usage error
 * exits 2 with exactly one line on stderr naming the flag, nothing on stdout, and no stack
 * trace. Start-up failures exit 1 with one plain line. All cases are launched at once to keep
 * the file fast; each is then checked in its own subtest.
 */
import t from 'tap';
import { createServer, type Server } from 'node:net';
import { runCli } from './helpers/server.js';

interface UsageCase {
  readonly name: string;
  readonly args: readonly string[];
  /** What the one line must say (the flag, the value). */
  readonly says: RegExp;
}

const cases: readonly UsageCase[] = [
  { name: 'unknown flag', args: ['--no-such-flag'], says: /unknown flag "--no-such-flag"/ },
  { name: 'unknown single-dash flag', args: ['-cmdx', 'true'], says: /unknown flag "-cmdx"/ },
  { name: '-cmd without a value', args: ['-cmd'], says: /--cmd needs a value/ },
  { name: '-cmd= with an empty value', args: ['-cmd='], says: /--cmd needs a value/ },
  { name: '--cmd with a blank value', args: ['--cmd', '   '], says: /--cmd needs a value/ },
  { name: '--period 2x', args: ['--period', '2x'], says: /"2x".*--period/ },
  { name: '-period -1s', args: ['-period', '-1s'], says: /"-1s".*--period/ },
  { name: '--period 0s', args: ['--period', '0s'], says: /"0s".*--period/ },
  { name: '--period 0.1ms (below 1ms)', args: ['--period', '0.1ms'], says: /"0.1ms".*--period/ },
  { name: '--latency bogus', args: ['--latency', 'soon'], says: /"soon".*--latency/ },
  { name: '--timeout 40s with the default --latency 30s', args: ['--timeout', '40s'], says: /"40s".*--timeout.*--latency/ },
  { name: '--timeout above an explicit --latency', args: ['--latency', '1s', '--timeout', '2s'], says: /"2s".*--timeout.*--latency 1s/ },
  { name: '--shutdown-timeout x', args: ['--shutdown-timeout', 'x'], says: /"x".*--shutdown-timeout/ },
  { name: '--port 80x', args: ['--port', '80x'], says: /"80x".*--port/ },
  { name: '--port=80x', args: ['--port=80x'], says: /"80x".*--port/ },
  { name: '--port 1e3', args: ['--port', '1e3'], says: /"1e3".*--port/ },
  { name: '--port 70000', args: ['--port', '70000'], says: /"70000".*--port.*65535/ },
  { name: '--port -1', args: ['--port', '-1'], says: /"-1".*--port/ },
  { name: '--address not-an-ip', args: ['--address', 'not-an-ip'], says: /"not-an-ip".*--address/ },
  { name: 'two --cmd and one --url', args: ['--cmd', 'true', '--cmd', 'false', '--url', '/a'], says: /2 --cmd and 1 --url/ },
  { name: 'two --cmd and no --url', args: ['--cmd', 'true', '--cmd', 'false'], says: /2 --cmd and 0 --url/ },
  { name: 'one --cmd and two --url', args: ['--cmd', 'true', '--url', '/a', '--url', '/b'], says: /1 --cmd and 2 --url/ },
  { name: '--url without a leading /', args: ['--cmd', 'true', '--url', 'healthz'], says: /"healthz".*--url.*start with \// },
  { name: '--url given twice', args: ['--cmd', 'true', '--url', '/a', '--cmd', 'false', '--url', '/a'], says: /"\/a".*--url.*twice/ },
  { name: '--url with a query', args: ['--cmd', 'true', '--url', '/a?b'], says: /"\/a\?b".*--url/ },
  ...['/', '/quit', '/livez', '/readyz', '/metrics'].map((path) => ({
    name: `reserved --url ${path}`,
    args: ['--cmd', 'true', '--url', path],
    says: new RegExp(`"${path.replace('/', '\\/')}".*--url.*reserved`),
  })),
  { name: '--log-level loud', args: ['--log-level', 'loud'], says: /"loud".*--log-level/ },
  { name: '--workers 0', args: ['--workers', '0'], says: /"0".*--workers/ },
  { name: '--workers many', args: ['--workers', 'many'], says: /"many".*--workers/ },
  { name: '--workers 65', args: ['--workers', '65'], says: /"65".*--workers/ },
  { name: '--max-output -5', args: ['--max-output', '-5'], says: /"-5".*--max-output/ },
  { name: '--max-output 10k', args: ['--max-output', '10k'], says: /"10k".*--max-output/ },
  { name: '--failure-threshold 0', args: ['--failure-threshold', '0'], says: /"0".*--failure-threshold/ },
  { name: '--success-threshold 1.5', args: ['--success-threshold', '1.5'], says: /"1.5".*--success-threshold/ },
  { name: '--json without --once', args: ['--json'], says: /--json.*--once/ },
  { name: 'a bad boolean value', args: ['--quiet=maybe'], says: /"maybe".*--quiet/ },
  { name: 'a stray positional argument', args: ['--cmd', 'true', 'extra'], says: /unexpected argument "extra"/ },
  { name: 'a command after --', args: ['--', 'echo', 'hi'], says: /unexpected argument "echo"/ },
];

// Launch them a few at a time (each is a short-lived node process), then check one by one:
// all at once would only queue ~45 node start-ups on 2 cores.
const CONCURRENCY = 4;
type CliResult = Awaited<ReturnType<typeof runCli>>;
const runs = new Map<string, Promise<CliResult>>();
{
  const queue = [...cases];
  const resolvers = new Map<string, (r: CliResult) => void>();
  for (const c of cases) runs.set(c.name, new Promise((resolve) => resolvers.set(c.name, resolve)));
  const lane = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) resolvers.get(c.name)!(await runCli([...c.args]));
  };
  for (let i = 0; i < CONCURRENCY; i++) void lane();
}

for (const c of cases) {
  t.test(`usage error: ${c.name} → exit 2, one line on stderr`, async (t) => {
    const r = await runs.get(c.name)!;
    t.equal(r.code, 2, 'exit status 2');
    t.equal(r.stdout, '', 'nothing on stdout');
    t.notMatch(r.stderr, /    at /, 'no stack trace');
    t.match(r.stderr, /\n$/, 'the line ends with a newline');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    t.equal(lines.length, 1, `exactly one line: ${JSON.stringify(r.stderr)}`);
    t.match(lines[0], c.says, 'it names the flag and the value');
    t.match(lines[0], /^exechealthz: /, 'prefixed with the program name');
  });
}

for (const spelling of ['-h', '-help', '--help']) {
  t.test(`${spelling} → exit 0, usage on stdout, nothing on stderr`, async (t) => {
    const r = await runCli([spelling]);
    t.equal(r.code, 0);
    t.match(r.stdout, /Usage/);
    t.match(r.stdout, /--cmd/);
    t.equal(r.stderr, '');
  });
}

t.test('a port in use → exit 1, one line saying "address in use"', async (t) => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const r = await runCli(['--port', String(port), '--address', '127.0.0.1']);
  t.equal(r.code, 1, 'exit status 1');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `exactly one line: ${JSON.stringify(r.stderr)}`);
  t.match(lines[0], new RegExp(`127\\.0\\.0\\.1:${port}.*address in use`));
  t.notMatch(r.stderr, /    at /, 'no stack trace');
  t.notMatch(r.stdout, /"level":"(error|fatal)"/, 'no error log on stdout for a plain start-up failure');
});
