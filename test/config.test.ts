import t from 'tap';
import { parseCommandLine } from '../src/config/parse.js';
import { normalizeArgv } from '../src/config/normalize-argv.js';
import { UsageError } from '../src/config/usage-error.js';
import type { Config } from '../src/config/config.js';

function config(argv: string[]): Config {
  const outcome = parseCommandLine(argv, '1.2.3');
  if (outcome.kind !== 'run') throw new Error(`expected a run, got ${outcome.kind}`);
  return outcome.config;
}

t.test('defaults match the Go original, plus the new flags', async (t) => {
  const c = config([]);
  t.same(c.probes, [{ index: 0, path: '/healthz', command: 'echo healthz' }]);
  t.equal(c.port, 8080);
  t.equal(c.address, '::');
  t.equal(c.periodMs, 2000);
  t.equal(c.latencyMs, 30_000);
  t.equal(c.timeoutMs, 10_000, 'timeout: min(10s, latency)');
  t.equal(c.maxOutput, 10240);
  t.equal(c.workers, 1);
  t.equal(c.logLevel, 'info');
  t.equal(c.allowQuit, false);
  t.equal(c.shutdownTimeoutMs, 5000);
});

t.test('every Go spelling of a flag means the same', async (t) => {
  for (const argv of [['-cmd=ls /x'], ['-cmd', 'ls /x'], ['--cmd=ls /x'], ['--cmd', 'ls /x']]) {
    t.equal(config(argv).probes[0]!.command, 'ls /x', argv.join(' '));
  }
});

t.test('repeatable --cmd/--url pairs keep their order', async (t) => {
  const c = config(['-cmd', 'a', '-url', '/a', '--cmd=b', '--url=/b']);
  t.same(
    c.probes.map((p) => [p.path, p.command]),
    [
      ['/a', 'a'],
      ['/b', 'b'],
    ],
  );
});

t.test('a repeated single-value flag keeps its last value, as Go does', async (t) => {
  const c = config(['--port', '1', '-port=2', '--quiet', '--quiet=false']);
  t.equal(c.port, 2);
  t.equal(c.logLevel, 'info');
});

t.test('the default timeout follows a short latency', async (t) => {
  t.equal(config(['--latency', '3s']).timeoutMs, 3000);
  t.equal(config(['--latency', '3s', '--timeout', '3s']).timeoutMs, 3000);
});

t.test('booleans take Go forms; --quiet means warn', async (t) => {
  t.equal(config(['-output']).output, true);
  t.equal(config(['-output=false']).output, false);
  t.equal(config(['--quiet']).logLevel, 'warn');
  t.equal(config(['--quiet', '--log-level', 'debug']).logLevel, 'debug');
});

t.test('help and version', async (t) => {
  for (const flag of ['-h', '-help', '--help']) {
    const outcome = parseCommandLine([flag], '1.2.3');
    t.equal(outcome.kind, 'help', flag);
    if (outcome.kind === 'help') {
      t.match(outcome.text, /Usage/);
      t.match(outcome.text, /Options/);
      t.match(outcome.text, /Examples/);
      t.match(outcome.text, /--timeout/);
    }
  }
  t.same(parseCommandLine(['-version'], '1.2.3'), { kind: 'version', text: '1.2.3' });
});

t.test('usage errors name the flag and the value', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['-nope'], /unknown flag "-nope"/],
    [['-cmd'], /--cmd needs a value/],
    [['-cmd='], /--cmd needs a value/],
    [['--period', '2x'], /"2x" for --period/],
    [['-period', '-1s'], /"-1s" for --period/],
    [['--period', '0s'], /"0s" for --period/],
    [['--port', '80x'], /"80x" for --port/],
    [['--port', '1e3'], /"1e3" for --port/],
    [['--port', '70000'], /"70000" for --port/],
    [['--timeout', '40s'], /"40s" for --timeout: above --latency/],
    [['-cmd', 'a', '-cmd', 'b'], /2 --cmd and 0 --url/],
    [['-cmd', 'a', '-url', '/a', '-cmd', 'b'], /2 --cmd and 1 --url/],
    [['-url', 'healthz'], /"healthz" for --url: must start with \//],
    [['-cmd', 'a', '-url', '/a', '-cmd', 'b', '-url', '/a'], /"\/a" for --url: given twice/],
    [['-url', '/'], /reserved/],
    [['-url', '/quit'], /reserved/],
    [['-url', '/livez'], /reserved/],
    [['-url', '/readyz'], /reserved/],
    [['-url', '/metrics'], /reserved/],
    [['-url', '/a?b'], /a plain path/],
    [['--log-level', 'loud'], /"loud" for --log-level/],
    [['--workers', '0'], /"0" for --workers/],
    [['--address', 'example.com'], /"example.com" for --address/],
    [['--json'], /--json only applies with --once/],
    [['-output=maybe'], /"maybe" for --output/],
    [['stray'], /unexpected argument "stray"/],
    [['--', 'stray'], /unexpected argument "stray"/],
    [['-cmd', 'x'.repeat(131_072)], /131072 bytes, above Linux's 131071-byte limit/],
  ];
  for (const [argv, message] of cases) {
    t.throws(() => parseCommandLine(argv, '0'), { name: 'UsageError', message }, argv.join(' ').slice(0, 60));
  }
});

t.test('a 120 KB command is accepted', async (t) => {
  t.equal(config(['-cmd', `: ${'x'.repeat(120_000)}`]).probes[0]!.command.length, 120_002);
});

t.test('the normaliser leaves values that look like flags to the validator', async (t) => {
  t.same(normalizeArgv(['-period', '-1s', '-quiet']), ['--period=-1s', '--quiet']);
  t.ok(new UsageError('x') instanceof Error);
});
