import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { discoveryEnvNames } from '../../src/shared/discovery/env-names.ts';
import { deployDir, renderOverlay, yamlDocuments, type K8sObject } from './render.ts';

const MODULES = ['identity', 'inventory', 'payments', 'notifications', 'catalog', 'rentals'];

/** kubernetes-models' class for an object's apiVersion and kind, when it has one (CRDs have none). */
async function modelOf(object: K8sObject): Promise<(new (data: unknown) => { validate(): void }) | undefined> {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : [undefined, object.apiVersion];
  const path = group
    ? `kubernetes-models/${group}/${version}/${object.kind}`
    : `kubernetes-models/${version}/${object.kind}`;
  try {
    return ((await import(path)) as Record<string, never>)[object.kind];
  } catch {
    return undefined;
  }
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const envOf = (deployment: K8sObject) =>
  Object.fromEntries(
    (deployment.spec.template.spec.containers[0].env ?? []).map((e: { name: string; value?: string }) => [
      e.name,
      e.value ?? '(ref)',
    ]),
  );

for (const overlay of ['monolith', 'split'] as const) {
  describe(`kubernetes overlay ${overlay}`, () => {
    const objects = renderOverlay(overlay);
    const deployments = byKind(objects, 'Deployment');
    const crdGroups = ['postgresql.cnpg.io', 'monitoring.coreos.com'];

    test('every object with a Kubernetes schema validates against it; the rest are known CRDs', async () => {
      for (const object of objects) {
        const Model = await modelOf(object);
        if (!Model) {
          assert.ok(
            crdGroups.some((g) => object.apiVersion.startsWith(`${g}/`)),
            `${object.kind} ${object.apiVersion} has no schema and is no known CRD`,
          );
          continue;
        }
        assert.doesNotThrow(() => new Model(object).validate(), `${object.kind}/${object.metadata.name}`);
      }
      const outside = objects
        .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'shareloop')
        .map((o) => `${o.kind}/${o.metadata.name}`);
      assert.deepEqual(outside, [], 'everything in the shareloop namespace');
      // The check can fail: a Deployment with a string for replicas and no selector is refused.
      const Deployment = (await modelOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } }))!;
      assert.throws(() =>
        new Deployment({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'bad' },
          spec: { replicas: 'two', template: {} },
        }).validate(),
      );
    });

    test('deployments: probes on /readyz and /healthz, resources, preStop drain, non-root, an HPA and a PDB each', () => {
      assert.ok(deployments.length >= (overlay === 'split' ? 7 : 1));
      for (const d of deployments) {
        const name = d.metadata.name;
        const c = d.spec.template.spec.containers[0];
        assert.equal(c.readinessProbe.httpGet.path, '/readyz', name);
        assert.equal(c.readinessProbe.timeoutSeconds, 1, name);
        assert.equal(c.livenessProbe.httpGet.path, '/healthz', name);
        assert.ok(c.startupProbe, `${name} startup probe`);
        assert.ok(
          c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
          `${name} resources`,
        );
        assert.ok(c.lifecycle.preStop, `${name} preStop`);
        assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true, name);
        assert.ok(d.spec.template.spec.terminationGracePeriodSeconds >= 15, name);
        assert.ok(
          byKind(objects, 'HorizontalPodAutoscaler').some((h) => h.spec.scaleTargetRef.name === name),
          `${name} HPA`,
        );
        assert.ok(
          byKind(objects, 'PodDisruptionBudget').some(
            (p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === name,
          ),
          `${name} PDB`,
        );
        const env = envOf(d);
        for (const key of ['DATABASE_URL', 'DATABASE_READ_URL']) assert.ok(env[key], `${name} ${key}`);
        assert.match(env.DATABASE_URL!, /@shareloop-db-rw:5432\//);
        assert.match(env.DATABASE_READ_URL!, /@shareloop-db-ro:5432\//);
        const from = c.envFrom.map((e: { secretRef?: { name: string } }) => e.secretRef?.name);
        assert.ok(from.includes('shareloop-secrets'), `${name} gets the secrets`);
      }
      const secret = named(objects, 'Secret', 'shareloop-secrets');
      for (const key of ['JWT_SECRET', 'INTERNAL_SERVICE_SECRET']) assert.ok(secret?.stringData?.[key], key);
    });

    test('only the edge takes outside traffic: Ingress with TLS to the edge, a default deny, no exposed service', () => {
      const edge = deployments
        .filter((d) => d.spec.template.metadata.labels['shareloop.dev/edge'] === 'true')
        .map((d) => d.metadata.name);
      assert.deepEqual(edge, [overlay === 'split' ? 'shareloop-gateway' : 'shareloop-monolith']);
      const [ingress, ...others] = byKind(objects, 'Ingress');
      assert.equal(others.length, 0);
      assert.ok(ingress!.spec.tls?.[0]?.secretName, 'TLS');
      for (const rule of ingress!.spec.rules)
        for (const path of rule.http.paths) assert.equal(path.backend.service.name, edge[0]);
      for (const service of byKind(objects, 'Service'))
        assert.ok(!['LoadBalancer', 'NodePort'].includes(service.spec.type), `${service.metadata.name} not exposed`);
      const policies = byKind(objects, 'NetworkPolicy');
      assert.ok(
        policies.some(
          (p) =>
            Object.keys(p.spec.podSelector).length === 0 && p.spec.policyTypes.includes('Ingress') && !p.spec.ingress,
        ),
        'default deny',
      );
      const fromOutside = policies.filter((p) =>
        p.spec.ingress?.some((i: any) =>
          i.from?.some(
            (f: any) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ingress-nginx',
          ),
        ),
      );
      assert.deepEqual(
        fromOutside.map((p) => p.spec.podSelector.matchLabels),
        [{ 'shareloop.dev/edge': 'true' }],
        'only the edge from the ingress controller',
      );
    });

    test('data: CloudNativePG with 1 primary + 4 replicas and prepared transactions, Redis with Sentinel, a migration Job', () => {
      const [cluster] = byKind(objects, 'Cluster');
      assert.equal(cluster?.apiVersion, 'postgresql.cnpg.io/v1');
      assert.equal(cluster!.spec.instances, 5);
      assert.ok(Number(cluster!.spec.postgresql.parameters.max_prepared_transactions) > 0);
      assert.equal(cluster!.spec.monitoring.enablePodMonitor, true);
      const redis = named(objects, 'StatefulSet', 'redis');
      const sentinel = named(objects, 'StatefulSet', 'redis-sentinel');
      assert.equal(redis?.spec.replicas, 3);
      assert.equal(sentinel?.spec.replicas, 3);
      const redisConfig = named(objects, 'ConfigMap', 'redis-config');
      assert.match(redisConfig!.data!['sentinel.conf']!, /sentinel monitor shareloop redis-0\.redis 6379 2/);
      const job = named(objects, 'Job', 'shareloop-migrate');
      assert.deepEqual(job?.spec.template.spec.containers[0].args, ['src/runtimes/cli/migrate.ts']);
    });

    test('monitoring: PodMonitor on the app pods, the PrometheusRule equals the rules directory, dashboards for Grafana', () => {
      const [monitor] = byKind(objects, 'PodMonitor');
      const selector = monitor!.spec.selector.matchLabels;
      for (const d of deployments) {
        for (const [k, v] of Object.entries(selector))
          assert.equal(d.spec.template.metadata.labels[k], v, `${d.metadata.name} scraped`);
        assert.equal(d.spec.template.spec.containers[0].ports[0].name, monitor!.spec.podMetricsEndpoints[0].port);
      }
      const [rule] = byKind(objects, 'PrometheusRule');
      const rulesDir = join(deployDir, 'observability', 'prometheus', 'rules');
      const groups = readdirSync(rulesDir)
        .filter((f) => f.endsWith('.yml'))
        .sort()
        .flatMap((f) => (yamlDocuments(readFileSync(join(rulesDir, f), 'utf8'))[0] as { groups: unknown[] }).groups);
      assert.deepEqual(rule!.spec.groups, groups, 'PrometheusRule in sync with deploy/observability/prometheus/rules');
      const dashboards = named(objects, 'ConfigMap', 'shareloop-grafana-dashboards');
      assert.equal(dashboards?.metadata.labels?.grafana_dashboard, '1');
      assert.deepEqual(
        Object.keys(dashboards!.data!).sort(),
        readdirSync(join(deployDir, 'observability', 'grafana', 'dashboards')).sort(),
      );
      const datasources = named(objects, 'ConfigMap', 'shareloop-grafana-datasources');
      assert.match(Object.values(datasources!.data!)[0]!, /derivedFields/, 'Loki links a log line to its trace');
    });

    if (overlay === 'split') {
      test('split: a headless Service per module that the gateway and services discover by DNS; a database each; periodic work as CronJobs', () => {
        const gateway = named(objects, 'Deployment', 'shareloop-gateway')!;
        for (const module of MODULES) {
          const service = named(objects, 'Service', module);
          assert.equal(service?.spec.clusterIP, 'None', `${module} headless`);
          assert.ok(named(objects, 'Deployment', module), `${module} deployment`);
          const dnsVar = discoveryEnvNames(module).dns;
          assert.equal(envOf(gateway)[dnsVar], `${module}.shareloop.svc.cluster.local:3000`);
          const deployment = named(objects, 'Deployment', module)!;
          const env = envOf(deployment);
          assert.equal(env.MODULES, module);
          assert.match(
            env[`${module.toUpperCase()}_DATABASE_URL`] ?? '',
            new RegExp(`@shareloop-db-rw:5432/${module}$`),
          );
          for (const other of MODULES.filter((m) => m !== module))
            assert.ok(env[discoveryEnvNames(other).dns], `${module} finds ${other}`);
          assert.ok(
            byKind(objects, 'Database').some((d) => d.spec.name === module && d.spec.cluster.name === 'shareloop-db'),
            `${module} database`,
          );
        }
        assert.ok(byKind(objects, 'CronJob').length >= 1);
      });
    }
  });
}
