/**
 * Go duration syntax (`time.ParseDuration`) in and out, so that pod specs written for the
 * Go exechealthz keep their meaning (`500ms`, `1.5s`, `1m30s`) and our messages print
 * budgets exactly as the original would (`timed out after 1.5s`).
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds for a Go duration string, or undefined when it is not one. Sign allowed. */
export function parseDuration(text: string): number | undefined {
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const match = TERM.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return sign * total;
}

/** A duration in milliseconds written as Go's `Duration.String()` writes it. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1) return `${sign}${trimNumber(rest * 1000)}µs`;
  if (rest < 1000) return `${sign}${trimNumber(rest)}ms`;
  let out = '';
  const hours = Math.floor(rest / 3_600_000);
  if (hours > 0) {
    out += `${hours}h`;
    rest -= hours * 3_600_000;
  }
  const minutes = Math.floor(rest / 60_000);
  if (hours > 0 || minutes > 0) {
    out += `${minutes}m`;
    rest -= minutes * 60_000;
  }
  return `${sign}${out}${trimNumber(rest / 1000)}s`;
}

/** Up to nanosecond precision, no trailing zeros: 1.5, 0.25, 30. */
function trimNumber(value: number): string {
  return String(Number(value.toFixed(9)));
}
