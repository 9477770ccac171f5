// Runs autocannon in its own process (so the load generator never shares an event loop with
// what it measures) and prints one JSON line. Usage: node autocannon-run.mjs URL CONNECTIONS SECONDS
import autocannon from 'autocannon';

const [url, connections, seconds] = process.argv.slice(2);
const result = await autocannon({ url, connections: Number(connections), duration: Number(seconds), pipelining: 1 });
process.stdout.write(
  JSON.stringify({
    rps: result.requests.total / (result.duration || Number(seconds)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }) + '\n',
);
