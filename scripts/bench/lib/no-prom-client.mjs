// `node --import ./no-prom-client.mjs dist/src/cli.js …`: resolves 'prom-client' to a stub.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'prom-client') return { url: ${JSON.stringify(new URL('./prom-client-stub.mjs', import.meta.url).href)}, shortCircuit: true };
  return next(specifier, context);
}`),
);
