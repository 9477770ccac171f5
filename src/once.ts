import type { Config } from './config/config.js';
import { probeJson } from './http/probe-json.js';
import { assertShellAvailable } from './lifecycle/preflight.js';
import type { Logger } from './log/logger.js';
import { DEFAULT_NICE_INCREMENT, ProbePool } from './probe/pool.js';
import { Scheduler } from './probe/scheduler.js';
import { StateStore } from './state/store.js';
import { verdictOf } from './state/verdict.js';

/**
 * --once: every probe once, through the same pool and kill rules, one line each on stdout
 * (`[+]/healthz ok`, `[-]/dns failed: exit status 1`, as /readyz?verbose), or one JSON
 * document with --json. Returns the exit status: 0 when all succeeded, 1 otherwise.
 */
export async function runOnce(
  config: Config,
  logger: Logger,
  write: (text: string) => void,
  onPool: (pool: ProbePool) => void = () => {},
): Promise<number> {
  assertShellAvailable();
  const store = new StateStore(config);
  const pool = new ProbePool({ workers: config.workers, slots: config.probes.length, niceIncrement: DEFAULT_NICE_INCREMENT });
  onPool(pool);
  try {
    const scheduler = new Scheduler(config.probes, config, pool, { onResult: () => {} });
    const results = await scheduler.runOnce();
    results.forEach((result, index) => store.publish(index, result));
  } finally {
    await pool.destroy();
  }
  const now = Date.now();
  const verdicts = store.probes.map((state) => verdictOf(state, now, Number.POSITIVE_INFINITY));
  const healthy = verdicts.every((v) => v.kind === 'ok');
  if (config.json) {
    const probes = store.probes.map((state, i) => probeJson(state, verdicts[i]!, { hideOutput: config.hideOutput, latencyMs: config.latencyMs }));
    write(`${JSON.stringify({ healthy, probes }, null, 2)}\n`);
  } else {
    const lines = store.probes.map((state, i) => {
      const v = verdicts[i]!;
      return v.kind === 'failing' ? `[-]${state.spec.path} failed: ${v.reason}` : `[+]${state.spec.path} ok`;
    });
    write(`${lines.join('\n')}\n`);
  }
  for (const [i, state] of store.probes.entries()) {
    const v = verdicts[i]!;
    if (v.kind === 'failing') logger.warn({ probe: state.spec.path, reason: v.reason, output: state.last?.output }, 'probe failed');
  }
  return healthy ? 0 : 1;
}
