#!/usr/bin/env node
/**
 * The command line: parse, then either print help/version, run --once, or serve. Kept thin;
 * the work is in config/, app.ts and once.ts.
 */
import { parseCommandLine } from './config/parse.js';
import { StartupError, UsageError } from './config/usage-error.js';
import { startApp } from './app.js';
import { ShutdownSignals } from './lifecycle/signals.js';
import { createLogger } from './log/logger.js';
import { runOnce } from './once.js';
import { VERSION } from './version.js';

// First, so that a SIGTERM during start-up is not lost: the drain starts as soon as it can.
const signals = new ShutdownSignals((code) => process.exit(code));

function fail(code: number, message: string): never {
  process.stderr.write(`exechealthz: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let outcome;
  try {
    outcome = parseCommandLine(process.argv.slice(2), VERSION);
  } catch (err) {
    if (err instanceof UsageError) fail(2, `${err.message} (see --help)`);
    throw err;
  }
  if (outcome.kind !== 'run') {
    process.stdout.write(`${outcome.text}\n`);
    process.exit(0);
  }
  const config = outcome.config;

  if (config.once) {
    const logger = createLogger(config.logLevel, 2);
    process.exit(await runOnce(config, logger, (text) => process.stdout.write(text)));
  }

  const logger = createLogger(config.logLevel);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  const app = await startApp(config, { logger, requestShutdown: (reason) => signals.request(reason) });
  signals.onShutdown((reason) => {
    app.drain(reason).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  });
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) fail(1, err.message);
  fail(1, `internal error: ${err instanceof Error ? err.message : String(err)}`);
});
