import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/config.js';
import type { StateStore } from '../state/store.js';
import { verdictOf } from '../state/verdict.js';
import { probeJson } from './probe-json.js';
import { probeText } from './probe-text.js';
import { readyz } from './readyz.js';
import { send, sendJson, wantsJson } from './respond.js';

export interface RouteContext {
  readonly config: Config;
  readonly store: StateStore;
  /** The server's own health for /livez: a list of problems, empty when healthy. */
  livenessProblems(): string[];
  /** Prometheus exposition, rendered from state. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Starts the drain, as SIGTERM does (only wired with --allow-quit). */
  quit(requestedBy: string): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void | Promise<void>;
interface Route {
  readonly methods: readonly string[];
  readonly handle: Handler;
}

export type Routes = ReadonlyMap<string, Route>;

const READ = ['GET', 'HEAD'];

/** Exact paths only: `//healthz`, `/healthz/` and `/x/../quit` are other paths and get 404. */
export function buildRoutes(ctx: RouteContext): Routes {
  const routes = new Map<string, Route>();
  const { config, store } = ctx;

  for (const state of store.probes) {
    routes.set(state.spec.path, {
      methods: READ,
      handle: (req, res, query) => {
        const verdict = verdictOf(state, Date.now(), config.latencyMs);
        if (wantsJson(req, query)) {
          const json = probeJson(state, verdict, config);
          sendJson(req, res, verdict.kind === 'ok' ? 200 : 503, json);
          return;
        }
        const { status, body } = probeText(state, verdict, config);
        send(req, res, status, body);
      },
    });
  }

  routes.set('/', {
    methods: READ,
    handle: (req, res) => {
      const lines = store.probes.map((p) => `${p.spec.path}${config.hideOutput ? '' : `  ${p.spec.command}`}`);
      send(req, res, 200, `exechealthz probes:\n${lines.join('\n')}\n\nserver: /livez /readyz /metrics\n`);
    },
  });

  routes.set('/readyz', { methods: READ, handle: (req, res, query) => readyz(req, res, query, store, config) });

  routes.set('/livez', {
    methods: READ,
    handle: (req, res) => {
      const problems = ctx.livenessProblems();
      if (problems.length === 0) send(req, res, 200, 'ok');
      else send(req, res, 503, `livez check failed: ${problems.join('; ')}\n`);
    },
  });

  routes.set('/metrics', {
    methods: READ,
    handle: async (req, res) => {
      const { contentType, body } = await ctx.metrics();
      send(req, res, 200, body, contentType);
    },
  });

  if (config.allowQuit) {
    routes.set('/quit', {
      methods: ['GET', 'HEAD', 'POST'],
      handle: (req, res) => {
        send(req, res, 200, 'draining\n', undefined, { Connection: 'close' });
        // Answer first, then drain: the caller learns that it worked. A client that hangs up
        // before the answer is written still asked to quit.
        let asked = false;
        const quit = () => {
          if (!asked) ctx.quit(describeClient(req));
          asked = true;
        };
        res.once('finish', quit);
        res.once('close', quit);
      },
    });
  }
  return routes;
}

function describeClient(req: IncomingMessage): string {
  const socket = req.socket;
  return `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? '?'} (${req.headers['user-agent'] ?? 'no user-agent'})`;
}

const NO_QUERY: URLSearchParams = new URLSearchParams();

/**
 * Dispatches one request: 400 for an unparseable path, 404 unknown, 405 with Allow.
 * Synchronous on purpose (this is the /healthz hot path): only a handler that is itself
 * asynchronous (/metrics) returns a promise.
 */
export function dispatch(routes: Routes, req: IncomingMessage, res: ServerResponse): void | Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  let path = q === -1 ? raw : raw.slice(0, q);
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      send(req, res, 400, 'bad request: malformed percent-encoding in the path\n');
      return;
    }
  }
  const route = routes.get(path);
  if (!route) {
    send(req, res, 404, '404 page not found\n');
    return;
  }
  if (!route.methods.includes(req.method ?? '')) {
    send(req, res, 405, `method ${req.method} not allowed\n`, undefined, { Allow: route.methods.join(', ') });
    return;
  }
  return route.handle(req, res, q === -1 ? NO_QUERY : new URLSearchParams(raw.slice(q + 1)));
}
