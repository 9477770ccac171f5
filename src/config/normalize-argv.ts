import { FLAGS, lookupFlag } from './flags.js';
import { UsageError } from './usage-error.js';

/**
 * Rewrites Go-style arguments into one canonical spelling, `--name=value`, before meow sees
 * them. Go's flag package accepts one or two dashes and a value after `=` or as the next
 * argument; meow alone would read `-cmd` as `-c -m -d`. Errors that meow would swallow
 * (unknown flag, missing value, `-cmd=` with nothing after it) are raised here instead.
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw new UsageError(`unexpected argument ${quote(argv[i + 1]!)}: commands go in --cmd`);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      throw new UsageError(`unexpected argument ${quote(arg)}: commands go in --cmd`);
    }
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf('=');
    const rawName = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const name = lookupFlag(rawName);
    if (name === undefined) throw new UsageError(`unknown flag ${quote(arg)}`);
    const spec = FLAGS[name];
    if (spec.type === 'boolean') {
      out.push(parseBoolean(name, inline) ? `--${name}` : `--no-${name}`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      // The next argument is the value even when it starts with a dash (`-period -1s`), as in Go.
      if (i + 1 >= argv.length) throw new UsageError(`flag --${name} needs a value`);
      value = argv[++i]!;
    }
    if (value.trim() === '') throw new UsageError(`flag --${name} needs a value, got an empty one`);
    out.push(`--${name}=${value}`);
  }
  return keepLastOfSingleFlags(out);
}

/** Go's flag package lets a later `-port 2` override an earlier `-port 1`; meow would refuse. */
function keepLastOfSingleFlags(args: readonly string[]): string[] {
  const nameOf = (arg: string) => arg.slice(2).split('=')[0]!.replace(/^no-/, '');
  const last = new Map<string, number>();
  args.forEach((arg, i) => last.set(nameOf(arg), i));
  return args.filter((arg, i) => {
    const name = nameOf(arg) as keyof typeof FLAGS;
    return ('multiple' in FLAGS[name] && FLAGS[name].multiple) || last.get(name) === i;
  });
}

function parseBoolean(name: string, inline: string | undefined): boolean {
  if (inline === undefined) return true;
  // Go's strconv.ParseBool spellings.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(inline)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(inline)) return false;
  throw new UsageError(`invalid value ${quote(inline)} for --${name}: want true or false`);
}

/** Arguments can be long commands: keep the one error line short. */
export function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(shown);
}
