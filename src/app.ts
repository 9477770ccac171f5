import type { AddressInfo } from 'node:net';
import type { Config } from './config/config.js';
import { formatDuration } from './config/duration.js';
import { buildRoutes } from './http/routes.js';
import { createHttpServer, listen } from './http/server.js';
import { drain } from './lifecycle/drain.js';
import { createLivenessCheck } from './lifecycle/liveness.js';
import { assertShellAvailable, pid1Warning } from './lifecycle/preflight.js';
import type { Logger } from './log/logger.js';
import { createMetrics } from './metrics/registry.js';
import { DEFAULT_NICE_INCREMENT, ProbePool } from './probe/pool.js';
import { Scheduler } from './probe/scheduler.js';
import { StateStore } from './state/store.js';
import { VERSION } from './version.js';

export interface AppOptions {
  readonly logger: Logger;
  /** /quit and signals both end here; the CLI wires it to its ShutdownSignals. */
  readonly requestShutdown: (reason: string) => void;
  /** Nice increment of the worker threads (see BENCHMARKS.md, isolation). */
  readonly niceIncrement?: number;
}

export interface App {
  readonly address: AddressInfo;
  readonly store: StateStore;
  readonly pool: ProbePool;
  /** Drains (idempotent) and resolves when everything is closed. */
  drain(reason: string): Promise<void>;
}


/** The composition root: builds state, pool, scheduler and server from a Config, and starts them. */
export async function startApp(config: Config, options: AppOptions): Promise<App> {
  const { logger } = options;
  assertShellAvailable();
  const warning = pid1Warning();
  if (warning) logger.warn(warning);
  if (config.periodMs >= config.latencyMs) {
    logger.warn(
      { period: formatDuration(config.periodMs), latency: formatDuration(config.latencyMs) },
      '--period is not below --latency: results will be stale by design between runs',
    );
  }

  const store = new StateStore(config);
  const metrics = createMetrics(store, config.latencyMs, VERSION);
  const pool = new ProbePool(
    { workers: config.workers, slots: config.probes.length, niceIncrement: options.niceIncrement ?? DEFAULT_NICE_INCREMENT },
    {
      onProcessesKilled: (count) => metrics.countKilled(count),
      onWorkerReplaced: (reason) => logger.warn({ reason }, 'worker thread replaced'),
    },
  );
  const liveness = createLivenessCheck(pool);
  store.onChange((change, state) => {
    const level = change.to === 'healthy' ? 'info' : 'warn';
    logger[level]({ probe: change.path, from: change.from, to: change.to, reason: change.reason, consecutive: change.consecutive, command: state.spec.command }, `probe ${change.path} is ${change.to}`);
  });

  const scheduler = new Scheduler(config.probes, config, pool, {
    onResult(index, result) {
      store.publish(index, result);
      metrics.observe(config.probes[index]!.path, result);
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ probe: config.probes[index]!.path, status: result.status, exitCode: result.exitCode, timedOut: result.timedOut, durationMs: result.durationMs }, 'run finished');
      }
    },
  });

  const routes = buildRoutes({
    config,
    store,
    livenessProblems: () => liveness.problems(),
    metrics: () => metrics.render(),
    quit: (who) => {
      logger.warn({ requestedBy: who }, '/quit requested');
      options.requestShutdown('/quit');
    },
  });
  const server = createHttpServer(routes, (err) => logger.error({ err }, 'request handler failed'));

  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.address, config.addressIsDefault);
  } catch (err) {
    await pool.destroy();
    liveness.stop();
    throw err;
  }
  // Listening first (probe paths answer 503 "no result yet" meanwhile), scheduling once the
  // worker threads are up, so that the first runs keep their staggered start times.
  void pool.ready().then(() => scheduler.start());
  logger.info(
    {
      address: address.address,
      port: address.port,
      probes: config.probes.map((p) => ({ path: p.path, command: p.command })),
      period: formatDuration(config.periodMs),
      timeout: formatDuration(config.timeoutMs),
      latency: formatDuration(config.latencyMs),
      workers: config.workers,
      maxOutput: config.maxOutput,
      failureThreshold: config.failureThreshold,
      successThreshold: config.successThreshold,
      allowQuit: config.allowQuit,
      version: VERSION,
    },
    `listening on ${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
  );

  let draining: Promise<void> | undefined;
  return {
    address,
    store,
    pool,
    drain(reason) {
      draining ??= drain({ scheduler, pool, store, server, logger, shutdownTimeoutMs: config.shutdownTimeoutMs }, reason).finally(() =>
        liveness.stop(),
      );
      return draining;
    },
  };
}
