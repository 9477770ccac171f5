import { FLAGS, type FlagSpec } from './flags.js';

/** Help in the meow style: Usage / Options / Examples, every flag with its default. */
export function helpText(): string {
  const rows = Object.entries(FLAGS as Record<string, FlagSpec>).map(([name, spec]) => {
    const left = `--${name}${spec.placeholder ? ` ${spec.placeholder}` : ''}`;
    const def = spec.defaultText ? `  [default: ${spec.defaultText}]` : '';
    return [left, `${spec.description}${def}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const options = rows.map(([left, right]) => `    ${left.padEnd(width)}${right}`).join('\n');
  return `
  Runs health-check commands on a period and serves their last result over HTTP.

  Usage
    $ exechealthz [options]

  Options
${options}

    Flags take one or two dashes and a value after = or a space (-cmd=X, --cmd X).
    Durations use Go syntax: 500ms, 2s, 1m30s, 1h.

  Examples
    $ exechealthz -cmd "nslookup kubernetes.default" -port 8080
    $ exechealthz --cmd "ls /tmp/test" --url /healthz --cmd "pg_isready" --url /db --timeout 2s
    $ curl -i localhost:8080/healthz
    $ exechealthz --once --cmd "wget -qO- localhost:80/ping"
`;
}
