/** A bad command line: reported as one line on stderr, exit status 2 (Go's flag package does the same). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure to start (port in use, no /bin/sh): one plain line, exit status 1. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
