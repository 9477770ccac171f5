// A do-nothing stand-in for prom-client, loaded by no-prom-client.mjs, to measure what
// prom-client costs (memory, CPU) in the real server. /metrics answers an empty body with it.
class Metric {
  constructor(config = {}) {
    this.config = config;
  }
  set() {}
  inc() {}
  observe() {}
  labels() {
    return this;
  }
  reset() {}
}
export class Registry {
  registerMetric() {}
  async metrics() {
    return '';
  }
  get contentType() {
    return 'text/plain; version=0.0.4; charset=utf-8';
  }
}
export class Gauge extends Metric {}
export class Counter extends Metric {}
export class Histogram extends Metric {}
export class Summary extends Metric {}
export function collectDefaultMetrics() {}
export const register = new Registry();
export default { Registry, Gauge, Counter, Histogram, Summary, collectDefaultMetrics, register };
