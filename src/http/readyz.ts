import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/config.js';
import type { StateStore } from '../state/store.js';
import { verdictOf, type Verdict } from '../state/verdict.js';
import { send } from './respond.js';

/**
 * Every probe at once, in the kube-apiserver convention: 200 when all are healthy, `?verbose`
 * lists each as `[+]/path ok` or `[-]/path failed: reason`, `?exclude=/path` leaves one out.
 * While draining it answers 503, so that traffic moves away before the process goes.
 */
export function readyz(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, store: StateStore, config: Config): void {
  const excluded = new Set(query.getAll('exclude'));
  const now = Date.now();
  const lines: string[] = [];
  let ok = true;
  for (const state of store.probes) {
    if (excluded.has(state.spec.path)) {
      lines.push(`[+]${state.spec.path} excluded: ok`);
      continue;
    }
    const verdict = verdictOf(state, now, config.latencyMs);
    if (verdict.kind === 'ok') lines.push(`[+]${state.spec.path} ok`);
    else {
      ok = false;
      lines.push(`[-]${state.spec.path} failed: ${describe(verdict)}`);
    }
  }
  if (store.draining) {
    ok = false;
    lines.push('[-]shutdown failed: draining');
  }
  const verbose = query.has('verbose');
  const summary = ok ? 'readyz check passed' : 'readyz check failed';
  if (verbose) send(req, res, ok ? 200 : 503, `${lines.join('\n')}\n${summary}\n`);
  else send(req, res, ok ? 200 : 503, ok ? 'ok' : `${summary}\n`);
}

function describe(verdict: Verdict): string {
  switch (verdict.kind) {
    case 'failing':
      return verdict.reason;
    case 'stale':
      return `stale: last result is ${Math.round(verdict.ageMs)}ms old`;
    case 'pending':
      return 'no result yet';
    default:
      return 'ok';
  }
}
