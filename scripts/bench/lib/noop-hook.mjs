// The control for no-prom-client.mjs: the same kind of loader hook (and so the same loader
// thread), resolving everything as usual.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { return next(s, c); }'));
