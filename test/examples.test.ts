import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseCommandLine } from '../src/config/parse.js';
import type { Config } from '../src/config/config.js';

// Every example is parsed with a maintained YAML library, and every exechealthz container's
// arguments go through the CLI's own parser, so the examples cannot rot: a renamed flag, a
// bad duration or a broken timing relation fails here.

const dir = fileURLToPath(new URL('../examples/', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

type Json = Record<string, unknown>;
interface HttpGetProbe {
  httpGet?: { path?: string; port?: number | string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: HttpGetProbe;
  readinessProbe?: HttpGetProbe;
  startupProbe?: HttpGetProbe;
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
}

const IMAGE = /(^|\/)exechealthz(:[\w.-]+|@sha256:[0-9a-f]+)?$/;

/** The pod specs inside any workload kind (Pod, Deployment, DaemonSet, Job, CronJob, …). */
function podSpecs(doc: Json): PodSpec[] {
  const spec = doc.spec as Json | undefined;
  if (!spec) return [];
  if (doc.kind === 'Pod') return [spec as PodSpec];
  const jobSpec = (spec.jobTemplate as Json | undefined)?.spec as Json | undefined; // CronJob
  const template = (spec.template ?? jobSpec?.template) as Json | undefined;
  return template?.spec ? [template.spec as PodSpec] : [];
}

/** The flags the CLI receives: the image's ENTRYPOINT is tini + the CLI, `args` follow it. */
function cliArgs(c: Container): string[] {
  if (!c.command) return c.args ?? [];
  // A `command` replaces the ENTRYPOINT: the flags are whatever follows the CLI itself.
  const at = c.command.findIndex((a) => /(^|\/)(cli\.js|exechealthz)$/.test(a));
  if (at === -1) throw new Error(`container ${c.name}: command ${JSON.stringify(c.command)} does not run the exechealthz CLI`);
  return [...c.command.slice(at + 1), ...(c.args ?? [])];
}

/** Resolves a probe's port as the kubelet does: a name is looked up in the probed container's own ports. */
function probePort(owner: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  return owner.ports?.find((p) => p.name === port)?.containerPort;
}

t.ok(files.length >= 2, `examples found: ${files.join(', ')}`);

const sidecarsSeen: string[] = [];

for (const file of files) {
  t.test(file, async (t) => {
    const docs = parseAllDocuments(readFileSync(`${dir}${file}`, 'utf8'));
    const list = Array.isArray(docs) ? docs : [docs];
    t.ok(list.length > 0, 'at least one document');
    for (const doc of list) {
      t.same(doc.errors.map(String), [], 'YAML parses without errors');
      t.same(doc.warnings.map(String), [], 'and without warnings');
    }
    const objects = list.map((d) => d.toJS() as Json).filter((o) => o !== null);
    for (const o of objects) {
      t.type(o.apiVersion, 'string', `${String(o.kind)} has an apiVersion`);
      t.type(o.kind, 'string', 'and a kind');
      t.type((o.metadata as Json | undefined)?.name, 'string', 'and a name');
    }

    for (const pod of objects.flatMap(podSpecs)) {
      const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
      const names = containers.map((c) => c.name);
      t.equal(new Set(names).size, names.length, 'container names are unique');

      for (const sidecar of containers.filter((c) => IMAGE.test(c.image ?? ''))) {
        sidecarsSeen.push(`${file}:${sidecar.name}`);
        await t.test(`container ${sidecar.name}`, async (t) => {
          const argv = cliArgs(sidecar);
          t.notOk(
            argv.some((a) => a.includes('$(')),
            'no $( in the arguments: the kubelet would try to expand it as $(VAR)',
          );
          const outcome = parseCommandLine(argv, '0.0.0');
          t.equal(outcome.kind, 'run', `the CLI accepts ${JSON.stringify(argv)}`);
          if (outcome.kind !== 'run') return;
          const config: Config = outcome.config;
          t.ok(config.periodMs < config.latencyMs, `--period ${config.periodMs}ms < --latency ${config.latencyMs}ms`);
          t.ok(config.timeoutMs <= config.latencyMs, '--timeout <= --latency (the parser also enforces it)');
          t.notOk(config.allowQuit, 'no /quit in an example: any request could stop the pod');
          const port = sidecar.ports?.find((p) => p.containerPort === config.port);
          t.ok(port, `the container declares its --port ${config.port}`);

          // The sidecar's own probes, if any, hit its own port, on server paths or probe paths.
          const paths = new Set([...config.probes.map((p) => p.path), '/livez', '/readyz']);
          for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
            const probe = sidecar[kind];
            if (!probe?.httpGet) continue;
            t.equal(probePort(sidecar, probe.httpGet.port), config.port, `its ${kind} targets --port`);
            t.ok(paths.has(probe.httpGet.path ?? '/'), `its ${kind} path ${probe.httpGet.path} is served`);
          }

          if (pod.terminationGracePeriodSeconds !== undefined) {
            t.ok(
              pod.terminationGracePeriodSeconds * 1000 > config.shutdownTimeoutMs + 1000,
              `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds}s > --shutdown-timeout ${config.shutdownTimeoutMs}ms + 1s`,
            );
          }

          // The bridge: other containers whose probes GET this sidecar's probe paths.
          const bridged = containers.filter((c) => c !== sidecar && c.livenessProbe?.httpGet);
          for (const app of bridged) {
            const probe = app.livenessProbe!;
            const target = probePort(app, probe.httpGet!.port);
            t.equal(target, config.port, `${app.name}'s livenessProbe port resolves (in its own container) to the sidecar's --port`);
            const served = config.probes.find((p) => p.path === probe.httpGet!.path);
            t.ok(served, `${app.name}'s livenessProbe path ${probe.httpGet!.path} is one of the sidecar's --url`);

            // The timing relations explained in the example's comments.
            const periodS = probe.periodSeconds ?? 10;
            const timeoutS = probe.timeoutSeconds ?? 1;
            const failures = probe.failureThreshold ?? 3;
            t.ok(config.timeoutMs < config.periodMs, `--timeout ${config.timeoutMs}ms < --period ${config.periodMs}ms: runs never queue`);
            t.ok(
              config.latencyMs >= 2 * config.periodMs + config.timeoutMs,
              `--latency ${config.latencyMs}ms >= 2 x --period + --timeout: one missed run is not stale`,
            );
            t.ok(periodS * 1000 >= config.periodMs, `kubelet periodSeconds ${periodS}s >= --period: each GET sees a fresh result`);
            t.ok(timeoutS >= 1, `kubelet timeoutSeconds ${timeoutS}s: the server answers from state, never waiting on a run`);
            t.ok(
              (probe.initialDelaySeconds ?? 0) * 1000 >= config.periodMs + config.timeoutMs,
              `initialDelaySeconds ${probe.initialDelaySeconds ?? 0}s >= --period + --timeout: a first result exists`,
            );
            t.ok(failures >= 2, `failureThreshold ${failures}: one failed GET alone does not restart ${app.name}`);
            t.equal(config.failureThreshold, 1, 'debounced once, by the kubelet, not twice');
            t.equal(probe.successThreshold ?? 1, 1, 'a liveness probe must have successThreshold 1');
            t.type(pod.terminationGracePeriodSeconds, 'number', 'terminationGracePeriodSeconds is set');
          }
        });
      }
    }
  });
}

t.test('the examples the issue asks for exist', async (t) => {
  t.ok(files.includes('pod-sidecar-only.yaml'), 'a pod whose only container is the sidecar');
  t.ok(files.includes('pod-liveness-sidecar.yaml'), "the seed's liveness sidecar pattern");
  t.ok(sidecarsSeen.length >= 2, `exechealthz containers checked: ${sidecarsSeen.join(', ')}`);

  const only = parseAllDocuments(readFileSync(`${dir}pod-sidecar-only.yaml`, 'utf8'));
  const pod = (Array.isArray(only) ? only : [only]).map((d) => d.toJS() as Json).find((o) => o.kind === 'Pod')!;
  const containers = (pod.spec as PodSpec).containers ?? [];
  t.equal(containers.length, 1, 'one container');
  t.same(containers[0]?.args, ['-cmd=nslookup localhost'], 'running -cmd=nslookup localhost, as in the seed');

  const bridge = parseAllDocuments(readFileSync(`${dir}pod-liveness-sidecar.yaml`, 'utf8'));
  const pod2 = (Array.isArray(bridge) ? bridge : [bridge]).map((d) => d.toJS() as Json).find((o) => o.kind === 'Pod')!;
  const apps = ((pod2.spec as PodSpec).containers ?? []).filter((c) => !IMAGE.test(c.image ?? ''));
  t.ok(apps.some((c) => c.livenessProbe?.httpGet?.path === '/healthz'), "another container's liveness probe is the sidecar's /healthz");
});
