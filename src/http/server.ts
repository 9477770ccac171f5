import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from '../config/usage-error.js';
import { dispatch, type Routes } from './routes.js';
import { send } from './respond.js';

/**
 * Timeouts that defeat slow and idle clients without hurting a kubelet, which opens a new
 * connection per probe and sends its whole request at once: a request has 5 s to send its
 * headers and 10 s in all; an idle keep-alive connection is closed after 5 s. Node checks
 * them every second instead of its default 30 s, so a slowloris is dropped promptly.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 5_000,
  requestTimeout: 10_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
} as const;

export function createHttpServer(routes: Routes, onError: (err: unknown) => void): Server {
  const server = createServer({ ...SERVER_TIMEOUTS, maxHeaderSize: 16 * 1024 }, (req, res) => {
    // Draining: answer, then close, so that a keep-alive client does not hold the drain open.
    if (!server.listening) res.shouldKeepAlive = false;
    const fail = (err: unknown) => {
      onError(err);
      if (!res.headersSent) send(req, res, 500, 'internal error\n');
      else res.destroy();
    };
    try {
      dispatch(routes, req, res)?.catch(fail);
    } catch (err) {
      fail(err);
    }
  });
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeout;
  // No 'clientError' listener on purpose: Node's own answers broken requests with the right
  // code (431 for oversized headers, 408 for a request timeout, 400 otherwise) and closes.
  return server;
}

/**
 * Listens, and turns the errors a user can act on into one plain line. The default address
 * `::` falls back to 0.0.0.0 on a host without IPv6.
 */
export async function listen(server: Server, port: number, address: string, fallbackToIPv4: boolean): Promise<AddressInfo> {
  try {
    return await listenOnce(server, port, address);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (fallbackToIPv4 && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) return listen(server, port, '0.0.0.0', false);
    if (code === 'EADDRINUSE') throw new StartupError(`cannot listen on ${hostPort(address, port)}: address in use`);
    if (code === 'EACCES') throw new StartupError(`cannot listen on ${hostPort(address, port)}: permission denied (ports below 1024 need privileges)`);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`cannot listen on ${hostPort(address, port)}: no such address on this host`);
    throw new StartupError(`cannot listen on ${hostPort(address, port)}: ${(err as Error).message}`);
  }
}

function listenOnce(server: Server, port: number, address: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host: address, ipv6Only: false });
  });
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Stops accepting, closes idle keep-alive connections at once, lets in-flight responses
 * finish, and after `timeoutMs` destroys whatever is left. Resolves when no connection is left.
 */
export function closeServer(server: Server, timeoutMs: number): Promise<'clean' | 'forced'> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve('clean');
      return;
    }
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve(forced ? 'forced' : 'clean');
    });
    server.closeIdleConnections();
  });
}
