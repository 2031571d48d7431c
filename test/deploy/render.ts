import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));

/** A rendered Kubernetes object (loosely typed: tests read what they check). */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
} & Record<string, any>;

/** Finds a binary on PATH; fails naming what to install. */
export function binary(name: string, install: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} not found on PATH: ${install}`);
}

/** Renders a kustomize overlay with `kubectl kustomize` (offline) into its objects. */
export function renderOverlay(overlay: 'monolith' | 'split' | 'rollouts'): K8sObject[] {
  const kubectl = binary('kubectl', 'install kubectl (it bundles kustomize)');
  const text = execFileSync(kubectl, ['kustomize', join(deployDir, 'k8s', 'overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS() as K8sObject;
  });
}

/** Parses a YAML file of one or more documents. */
export function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    return doc.toJS();
  });
}
