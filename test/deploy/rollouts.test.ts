/**
 * The rollouts overlay (deploy/k8s/overlays/rollouts): blue-green of inventory by a Service
 * selector switch, a weighted ingress-nginx canary of the gateway. Rendered with kubectl
 * kustomize; objects validated against their Kubernetes schemas; the routing checked by
 * matching each Service's selector against the pod labels of every Deployment.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { Service } from 'kubernetes-models/v1/Service';
import { renderOverlay, type K8sObject } from './render.ts';

const objects = renderOverlay('rollouts');
const get = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind}/${name} rendered`);
  return found;
};
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
/** The Deployments whose pods a Service selector picks. */
const podsOf = (selector: Record<string, string>) =>
  objects
    .filter((o) => o.kind === 'Deployment' && selects(selector, o.spec.template.metadata.labels))
    .map((o) => o.metadata.name)
    .sort();
const versionOf = (deployment: K8sObject) =>
  deployment.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'SHARELOOP_VERSION')?.value;

describe('kubernetes overlay rollouts', () => {
  test('the rollout objects validate against their Kubernetes schemas', () => {
    for (const [Model, kind, name] of [
      [Deployment, 'Deployment', 'inventory'],
      [Deployment, 'Deployment', 'inventory-green'],
      [Deployment, 'Deployment', 'shareloop-gateway-canary'],
      [Service, 'Service', 'inventory'],
      [Service, 'Service', 'shareloop-gateway-canary'],
      [Ingress, 'Ingress', 'shareloop-canary'],
    ] as const) {
      assert.doesNotThrow(() => new (Model as any)(get(kind, name)).validate(), `${kind}/${name}`);
    }
    assert.ok(objects.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'shareloop'));
  });

  test('blue-green: inventory serves blue; the selector switch serves green only, which runs the new version', () => {
    const service = get('Service', 'inventory');
    assert.deepEqual(podsOf(service.spec.selector), ['inventory']);
    const switched = { ...service.spec.selector, 'shareloop.dev/track': 'green' };
    assert.deepEqual(podsOf(switched), ['inventory-green']);
    assert.equal(versionOf(get('Deployment', 'inventory-green')), '0.2.0');
    for (const name of ['inventory', 'inventory-green']) {
      const deployment = get('Deployment', name);
      assert.ok(selects(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels), name);
      assert.equal(deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path, '/readyz');
    }
    assert.ok(get('PodDisruptionBudget', 'inventory-green') && get('HorizontalPodAutoscaler', 'inventory-green'));
  });

  test('canary: ingress-nginx sends a weight of the requests to the canary gateways only; the main Service never', () => {
    const ingress = get('Ingress', 'shareloop-canary');
    const annotations: Record<string, string> =
      (ingress.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    assert.equal(annotations['nginx.ingress.kubernetes.io/canary'], 'true');
    const weight = Number(annotations['nginx.ingress.kubernetes.io/canary-weight']);
    assert.ok(Number.isInteger(weight) && weight > 0 && weight < 100, `weight ${weight}`);
    const main = get('Ingress', 'shareloop');
    assert.equal(ingress.spec.rules[0].host, main.spec.rules[0].host, 'the canary Ingress shares the host');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service.name;
    assert.deepEqual(podsOf(get('Service', backend).spec.selector), ['shareloop-gateway-canary']);
    assert.deepEqual(podsOf(get('Service', 'shareloop-gateway').spec.selector), ['shareloop-gateway']);
    assert.equal(versionOf(get('Deployment', 'shareloop-gateway-canary')), '0.2.0');
  });
});
