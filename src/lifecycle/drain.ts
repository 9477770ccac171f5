import type { Server } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { ProbePool } from '../probe/pool.js';
import type { Scheduler } from '../probe/scheduler.js';
import type { StateStore } from '../state/store.js';
import { closeServer } from '../http/server.js';

export interface DrainParts {
  readonly scheduler: Scheduler;
  readonly pool: ProbePool;
  readonly store: StateStore;
  readonly server: Server;
  readonly logger: Logger;
  readonly shutdownTimeoutMs: number;
}

/**
 * The graceful stop, in order, each step logged:
 *  a. stop scheduling and kill every running probe's tree at once (results are dropped);
 *  b. probe paths keep answering their last result; /readyz turns 503;
 *  c. close the listener and idle connections, let in-flight responses finish, and destroy
 *     what is left after --shutdown-timeout;
 *  d. destroy the worker pool.
 * The caller flushes logs and exits.
 */
export async function drain(parts: DrainParts, reason: string): Promise<void> {
  const { scheduler, pool, store, server, logger } = parts;
  const t0 = performance.now();
  const ms = () => Math.round((performance.now() - t0) * 10) / 10;
  logger.info({ reason }, 'draining');

  scheduler.stop();
  store.markDraining();
  const killed = pool.killRunning();
  logger.info({ killed, ms: ms() }, 'stopped scheduling and killed running probes');

  const connections = await closeServer(server, parts.shutdownTimeoutMs);
  logger.info({ connections, ms: ms() }, 'http server closed');

  const stragglers = await pool.destroy();
  logger.info({ stragglers, ms: ms() }, 'worker pool destroyed; exiting');
}
