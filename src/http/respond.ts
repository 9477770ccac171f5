import type { IncomingMessage, ServerResponse } from 'node:http';

export const TEXT = 'text/plain; charset=utf-8';
export const JSON_TYPE = 'application/json';

/**
 * Writes a whole response. Text responses carry the headers Go's http.Error sends
 * (`Content-Type: text/plain; charset=utf-8`, `X-Content-Type-Options: nosniff`); HEAD gets
 * the same headers and no body.
 */
export function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  contentType: string = TEXT,
  headers: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(bytes.length),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  send(req, res, status, `${JSON.stringify(value, null, 2)}\n`, JSON_TYPE);
}

export function wantsJson(req: IncomingMessage, query: URLSearchParams): boolean {
  if (query.get('format') === 'json') return true;
  return (req.headers.accept ?? '').includes('application/json');
}
