#!/usr/bin/env node
/**
 * The command line: parse, then either print help/version, run --once, or serve. Kept thin;
 * the work is in config/, app.ts and once.ts (imported only when needed, so that --help and
 * usage errors do not load the pool, the server and prom-client).
 */
import { parseCommandLine, type ParseOutcome } from './config/parse.js';
import { StartupError, UsageError } from './config/usage-error.js';
import { ShutdownSignals, exitCodeFor } from './lifecycle/signals.js';
import { createLogger } from './log/logger.js';
import { VERSION } from './version.js';

/** Kills every running probe tree from this thread; set once a pool exists. Used before any hard exit. */
let killRunning: () => number = () => 0;

function exitNow(code: number): never {
  killRunning(); // never leave probe processes behind, whatever the way out
  process.exit(code);
}

// First, so that a SIGTERM during start-up is not lost: the drain starts as soon as it can.
const signals = new ShutdownSignals((code) => exitNow(code));

function fail(code: number, message: string): never {
  process.stderr.write(`exechealthz: ${message}\n`);
  exitNow(code);
}

async function main(): Promise<void> {
  let outcome: ParseOutcome;
  try {
    outcome = parseCommandLine(process.argv.slice(2), VERSION);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    fail(2, `${err instanceof UsageError ? message : `invalid arguments: ${message}`} (see --help)`);
  }
  if (outcome.kind !== 'run') {
    process.stdout.write(`${outcome.text}\n`);
    process.exit(0);
  }
  const config = outcome.config;

  if (config.once) {
    const { runOnce } = await import('./once.js');
    // A signal stops --once at once: kill the running trees, exit 128 + signal.
    signals.onShutdown((reason) => exitNow(exitCodeFor(reason as NodeJS.Signals)));
    const status = await runOnce(config, createLogger(config.logLevel, 2), (text) => process.stdout.write(text), (pool) => {
      killRunning = () => pool.killRunning();
    });
    process.exit(status);
  }

  const { startApp } = await import('./app.js');
  const logger = createLogger(config.logLevel);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    exitNow(1);
  });
  const app = await startApp(config, { logger, requestShutdown: (reason) => signals.request(reason) });
  killRunning = () => app.pool.killRunning();
  signals.onShutdown((reason) => {
    app.drain(reason).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        exitNow(1);
      },
    );
  });
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) fail(1, err.message);
  fail(1, `internal error: ${err instanceof Error ? err.message : String(err)}`);
});
