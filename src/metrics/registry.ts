import client from 'prom-client';
import type { StateStore } from '../state/store.js';
import { outcomeOf } from '../state/probe-state.js';
import { verdictOf } from '../state/verdict.js';
import type { ProbeResult } from '../probe/result.js';

export interface Metrics {
  /** Called once per finished run (the histogram and counters need every run, not only state changes). */
  observe(path: string, result: ProbeResult): void;
  /** Processes killed outside a run's own result (escapee sweeps, backstop). */
  countKilled(count: number): void;
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * Prometheus metrics through prom-client, in base units. Gauges are read from the state at
 * scrape time, so a scrape never waits on a probe and never disagrees with /healthz.
 */
export function createMetrics(store: StateStore, latencyMs: number, version: string): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const labelNames = ['probe'] as const;

  new client.Gauge({
    name: 'exechealthz_build_info',
    help: 'Build information; always 1.',
    labelNames: ['version', 'nodejs'] as const,
    registers: [registry],
    collect() {
      this.set({ version, nodejs: process.version }, 1);
    },
  });
  new client.Gauge({
    name: 'exechealthz_probe_success',
    help: 'Whether the probe path currently answers 200 (1) or 503 (0).',
    labelNames,
    registers: [registry],
    collect() {
      const now = Date.now();
      for (const s of store.probes) this.set({ probe: s.spec.path }, verdictOf(s, now, latencyMs).kind === 'ok' ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'exechealthz_probe_last_run_timestamp_seconds',
    help: 'When the last run of the probe finished, in seconds since the epoch.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of store.probes) if (s.last) this.set({ probe: s.spec.path }, s.last.finishedAt / 1000);
    },
  });
  new client.Gauge({
    name: 'exechealthz_probe_exit_code',
    help: 'Exit code of the last run; -1 when it was killed or could not run.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of store.probes) if (s.last) this.set({ probe: s.spec.path }, s.last.exitCode ?? -1);
    },
  });
  const duration = new client.Histogram({
    name: 'exechealthz_probe_duration_seconds',
    help: 'Wall time of probe runs.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const runs = new client.Counter({
    name: 'exechealthz_probe_runs_total',
    help: 'Probe runs by result: success, failure, timeout or unknown.',
    labelNames: ['probe', 'result'] as const,
    registers: [registry],
  });
  const truncated = new client.Counter({
    name: 'exechealthz_probe_output_truncated_total',
    help: 'Runs whose output was longer than --max-output.',
    labelNames,
    registers: [registry],
  });
  const killed = new client.Counter({
    name: 'exechealthz_processes_killed_total',
    help: 'Processes of probe trees killed: at the budget, left behind by a finished shell, or escaped.',
    registers: [registry],
  });
  // Every label set exists from the start, so that rate() works from the first scrape.
  for (const s of store.probes) {
    for (const result of ['success', 'failure', 'timeout', 'unknown']) runs.inc({ probe: s.spec.path, result }, 0);
    truncated.inc({ probe: s.spec.path }, 0);
  }

  return {
    observe(path, result) {
      duration.observe({ probe: path }, result.durationMs / 1000);
      runs.inc({ probe: path, result: outcomeOf(result) });
      if (result.truncated) truncated.inc({ probe: path });
      if (result.killed > 0) killed.inc(result.killed);
    },
    countKilled(count) {
      killed.inc(count);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
