import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));

export interface RunningServer {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>;
  stderr(): string;
  get(path: string, headers?: Record<string, string>, method?: string): Promise<HttpReply>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Stops the server: SIGTERM first (a clean exit also writes its coverage), then SIGKILL
   * to its whole process group if it has not gone within 3 s.
   */
  kill(): Promise<void>;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * Starts the real CLI (built into dist/ by `npm test`'s pretest) on 127.0.0.1 with an
 * ephemeral port, and resolves once it logs the port it is listening on.
 */
export function startServer(args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  const proc = spawn(process.execPath, [CLI, '--port', '0', '--address', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: true, // its own process group, so that cleanup can take everything with it
  });
  return attachServer(proc);
}

export interface ServerOutput {
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** Resolves with the port of the first log line that names one; rejects if the process exits first. */
  readonly port: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Collects a server process's JSON log lines (stdout) and stderr. */
export function watchServer(proc: ChildProcess): ServerOutput {
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = new Promise<number>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry.port === 'number') resolve(entry.port);
        } catch {
          /* not JSON */
        }
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  return { logs, stderr: () => stderr, port, exited };
}

/** A RunningServer around a spawned CLI process (detached, so that its group can be killed). */
export async function attachServer(proc: ChildProcess): Promise<RunningServer> {
  const { logs, stderr, port: portPromise, exited } = watchServer(proc);
  const port = await portPromise;
  return {
    proc,
    port,
    logs,
    stderr,
    get: (path, headers = {}, method = 'GET') => httpGet(port, path, headers, method),
    exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => {
          try {
            process.kill(-proc.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 3000);
        await exited;
        clearTimeout(timer);
      }
      try {
        process.kill(-proc.pid!, 'SIGKILL'); // anything its group left behind
      } catch {
        /* nothing left */
      }
    },
  };
}

export function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', host = '127.0.0.1'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

/** Polls a path until `accept` likes the reply (results arrive on the probe's schedule). */
export async function pollUntil(server: RunningServer, path: string, accept: (r: HttpReply) => boolean, timeoutMs = 5000): Promise<HttpReply> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpReply | undefined;
  while (Date.now() < deadline) {
    last = await server.get(path);
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`GET ${path} never matched; last: ${last?.status} ${last?.body}`);
}

/** Runs the CLI to completion (usage errors, --help, --once). */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 20000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
