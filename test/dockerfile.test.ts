import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { parseCommandLine } from '../src/config/parse.js';

// No container engine runs on these machines and base images cannot be pulled, so the image
// is checked statically: a maintained linter (dockerfile-utils) that must report nothing at
// all, plus the structural facts the runtime depends on (DESIGN §6).

const root = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');

// Every rule the validator can be configured for, raised to at least a warning (none ignored).
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.WARNING,
  directiveCasing: ValidationSeverity.WARNING,
  emptyContinuationLine: ValidationSeverity.WARNING,
  instructionCasing: ValidationSeverity.WARNING,
  instructionCmdMultiple: ValidationSeverity.WARNING,
  instructionEntrypointMultiple: ValidationSeverity.WARNING,
  instructionHealthcheckMultiple: ValidationSeverity.WARNING,
  instructionJSONInSingleQuotes: ValidationSeverity.WARNING,
  instructionWorkdirRelative: ValidationSeverity.WARNING,
};

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}
interface Stage {
  readonly from: Instruction;
  readonly instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped, grouped by stage. */
function stages(text: string): Stage[] {
  const out: Stage[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return; // comments inside a continuation
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const space = full.search(/\s/);
    const instruction = { keyword: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim(), line: startLine };
    if (instruction.keyword === 'FROM') out.push({ from: instruction, instructions: [] });
    else out.at(-1)?.instructions.push(instruction);
  });
  return out;
}

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

t.test('dockerfile-utils reports no diagnostic at all (errors and warnings both fail)', async (t) => {
  const diagnostics = validate(dockerfile, STRICT);
  const lines = diagnostics.map((d) => `line ${d.range.start.line + 1}: [${d.severity === 1 ? 'error' : 'warning'} ${d.code}] ${d.message}`);
  t.same(lines, [], 'no diagnostics');
});

t.test('the linter is not vacuous: it flags a known-bad Dockerfile', async (t) => {
  const bad = 'from node:20-alpine\nMAINTAINER someone\nWORKDIR app\nSTOPSIGNAL SIGFOO\nEXPOSE 80x\n';
  const diagnostics = validate(bad, STRICT);
  t.ok(diagnostics.length >= 4, `flagged ${diagnostics.length} problems: ${diagnostics.map((d) => d.message).join(' | ')}`);
});

t.test('two stages, both FROM node:20-alpine; the first builds, the second runs', async (t) => {
  const s = stages(dockerfile);
  t.equal(s.length, 2, 'multi-stage: exactly two FROM');
  const [build, runtime] = s as [Stage, Stage];
  t.match(build.from.args, /^node:20-alpine\s+AS\s+build$/i, 'build stage');
  t.equal(runtime.from.args, 'node:20-alpine', 'runtime stage');

  const runs = all(build, 'RUN').map((i) => i.args).join(' && ');
  const ci = runs.indexOf('npm ci');
  const compile = runs.indexOf('npm run build');
  const prune = runs.search(/npm prune --omit=dev/);
  t.ok(ci >= 0 && compile > ci && prune > compile, `npm ci → npm run build → npm prune --omit=dev, in that order: ${runs}`);
  t.notMatch(runs, /npm (start|test)\b/, 'no npm start/test, whose pre-hooks would build again');

  const copies = all(runtime, 'COPY').map((i) => i.args);
  t.ok(
    copies.some((c) => /--from=build\s+\/app\/dist\/src\s/.test(c)),
    'the built CLI is copied from the build stage',
  );
  t.ok(copies.some((c) => /--from=build\s+\/app\/node_modules\s/.test(c)), 'the pruned node_modules are copied');
  t.notOk(copies.some((c) => /\bsrc\b/.test(c) && !/dist\/src/.test(c)), 'no TypeScript source in the runtime image');
});

t.test('runtime stage: tini, non-root USER, EXPOSE 8080, STOPSIGNAL SIGTERM, ENTRYPOINT', async (t) => {
  const runtime = stages(dockerfile)[1]!;
  t.ok(
    all(runtime, 'RUN').some((i) => /apk add --no-cache( [\w.-]+)* tini\b/.test(i.args)),
    'tini is installed with apk add --no-cache',
  );

  const users = all(runtime, 'USER');
  t.ok(users.length > 0, 'USER is set');
  const user = users.at(-1)?.args ?? 'root';
  const name = user.split(':')[0]!;
  t.notOk(['root', '0', ''].includes(name), `the last USER (${user}) is not root`);
  t.match(name, /^\d+$/, 'numeric, so that a pod with runAsNonRoot can verify it');

  t.ok(all(runtime, 'EXPOSE').some((i) => i.args.split(/\s+/).includes('8080') || i.args.split(/\s+/).includes('8080/tcp')), 'EXPOSE 8080');
  t.same(all(runtime, 'STOPSIGNAL').map((i) => i.args), ['SIGTERM'], 'STOPSIGNAL SIGTERM');

  const entrypoints = all(runtime, 'ENTRYPOINT');
  t.equal(entrypoints.length, 1, 'one ENTRYPOINT');
  let entrypoint: unknown;
  try {
    entrypoint = JSON.parse(entrypoints[0]!.args);
  } catch {
    t.fail(`ENTRYPOINT must be exec form (JSON), got ${entrypoints[0]!.args}`);
  }
  t.same(entrypoint, ['/sbin/tini', '--', 'node', '/app/dist/src/cli.js'], 'tini and the CLI together');

  // With the CLI inside the ENTRYPOINT, `docker run IMAGE -cmd "…"` and a pod's args are flags.
  // A CMD would be appended to them: if there is one, it must be flags too.
  for (const cmd of all(runtime, 'CMD')) {
    const list = JSON.parse(cmd.args) as string[];
    t.ok(list.every((a) => a.startsWith('-')), `CMD holds only flags: ${cmd.args}`);
  }
  t.equal(all(runtime, 'WORKDIR').at(-1)?.args, '/app', 'WORKDIR /app, where the ENTRYPOINT looks for the CLI');
});

t.test('the ENTRYPOINT names a file the build really produces', async (t) => {
  // `npm test` builds dist/ first; the Dockerfile's `npm run build` is the same tsc run.
  t.ok(existsSync(`${root}dist/src/cli.js`), 'dist/src/cli.js exists after npm run build');
  const cli = readFileSync(`${root}dist/src/cli.js`, 'utf8');
  t.match(cli, /parseCommandLine/, 'and it is the CLI');
});

t.test('docker run IMAGE -cmd "ls /tmp/test": the arguments after the image are flags', async (t) => {
  // What tini execs: node /app/dist/src/cli.js -cmd "ls /tmp/test"; cli.js hands argv[2:] to the parser.
  const outcome = parseCommandLine(['-cmd', 'ls /tmp/test'], '0.0.0');
  t.equal(outcome.kind, 'run');
  if (outcome.kind !== 'run') return;
  t.same(
    outcome.config.probes.map((p) => [p.path, p.command]),
    [['/healthz', 'ls /tmp/test']],
  );
  t.equal(outcome.config.port, 8080, 'on the EXPOSEd port');
});

t.test('.dockerignore keeps the context to what the Dockerfile copies', async (t) => {
  const ignore = readFileSync(`${root}.dockerignore`, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  t.equal(ignore[0], '*', 'deny everything first');
  const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));

  // Every context source of a COPY (not --from) must be re-included and must exist.
  const sources = stages(dockerfile)
    .flatMap((s) => all(s, 'COPY'))
    .filter((i) => !i.args.includes('--from='))
    .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
  t.ok(sources.length > 0, `COPY sources: ${sources.join(' ')}`);
  for (const src of sources) {
    const name = src.replace(/^\.\//, '').replace(/\/$/, '');
    t.ok(allowed.includes(name), `${name} is in the build context`);
    t.ok(existsSync(`${root}${name}`), `${name} exists in the repository`);
  }
  for (const heavy of ['node_modules', 'dist', '.git', 'test', '.tap', 'coverage']) {
    t.notOk(allowed.includes(heavy), `${heavy} stays out of the build context`);
  }
});

t.test('the build stage can install on Alpine (musl, no compiler toolchain)', async (t) => {
  interface LockEntry {
    dev?: boolean;
    optional?: boolean;
    hasInstallScript?: boolean;
    os?: string[];
    libc?: string[];
  }
  const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, LockEntry> };
  const entries = Object.entries(lock.packages).filter(([path]) => path !== '');
  t.same(
    entries.filter(([, e]) => e.hasInstallScript).map(([path]) => path),
    [],
    'no dependency runs an install script (node:20-alpine has no python or make for node-gyp)',
  );
  // A prebuilt native package for glibc needs its musl sibling, or `npm ci` on Alpine finds none.
  const glibc = entries.filter(([path, e]) => e.libc?.includes('glibc') && /linux-x64-gnu$/.test(path)).map(([path]) => path);
  for (const path of glibc) {
    const musl = path.replace(/linux-x64-gnu$/, 'linux-x64-musl');
    t.ok(lock.packages[musl]?.libc?.includes('musl'), `${path} has a musl build in the lockfile (${musl})`);
  }
});
