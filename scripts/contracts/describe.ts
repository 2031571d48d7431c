import { z } from 'zod';
import { allContracts } from '../../src/runtimes/contracts.ts';
import { createPublicApi, PUBLIC_API_VERSION } from '../../src/runtimes/public-api.ts';
import { Bus } from '../../src/shared/bus/bus.ts';
import type { AnyContract, Event, Op } from '../../src/shared/bus/contract.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { MemoryIdempotencyStore } from '../../src/shared/http/idempotency-memory.ts';
import { statusOfKind } from '../../src/shared/http/problem.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { createMetrics } from '../../src/shared/observability/metrics.ts';
import { sortKeys } from './schema-diff.ts';

/** A contract as recorded at a release: its version, ops and events with their JSON Schemas. */
export interface ContractSnapshot {
  name: string;
  /** major.minor */
  version: string;
  ops: Record<string, OpSnapshot>;
  events: Record<string, EventSnapshot>;
}

export interface OpSnapshot {
  kind: string;
  input: unknown;
  output: unknown;
  /** Error code → HTTP status. */
  errors: Record<string, number>;
  http?: { method: string; path: string; status: number; auth: string; deprecated?: boolean };
}

export interface EventSnapshot {
  version: number;
  payload: unknown;
  /** Versions a consumer still accepts (through upcasters). */
  upcastsFrom: number[];
}

/** The public API's OpenAPI document with the version of the routes no contract owns. */
export interface OpenApiSnapshot {
  version: string;
  document: unknown;
}

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });

/** One contract's snapshot, with sorted keys. */
export function describeContract(contract: AnyContract): ContractSnapshot {
  const ops: Record<string, OpSnapshot> = {};
  for (const [key, op] of Object.entries(contract.ops) as [string, Op][]) {
    ops[key] = {
      kind: op.kind,
      input: schemaOf(op.input, 'input'),
      output: schemaOf(op.output, 'output'),
      errors: Object.fromEntries(
        (op.errors ?? []).map((code) => [`${contract.name}.${code}`, statusOfKind[contract.errors[code]!]]),
      ),
      ...(op.http
        ? {
            http: {
              method: op.http.method,
              path: op.http.path,
              status: op.http.status,
              auth: op.http.auth,
              ...(op.http.deprecated ? { deprecated: true } : {}),
            },
          }
        : {}),
    };
  }
  const events: Record<string, EventSnapshot> = {};
  for (const [key, event] of Object.entries(contract.events) as [string, Event][]) {
    events[key] = {
      version: event.version,
      payload: schemaOf(event.payload, 'output'),
      upcastsFrom: Object.keys(event.upcasters ?? {})
        .map(Number)
        .sort((a, b) => a - b),
    };
  }
  return sortKeys({
    name: contract.name,
    version: `${contract.version}.${contract.minor}`,
    ops,
    events,
  }) as ContractSnapshot;
}

/** The OpenAPI document the public API serves, built as the runtimes build it (no server, no call). */
export async function describeOpenApi(): Promise<OpenApiSnapshot> {
  const app = createPublicApi({
    name: 'contracts',
    config: parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    log: createLogger({ level: 'silent', pretty: false, name: 'contracts' }),
    metrics: createMetrics('contracts'),
    bus: new Bus(),
    redis: undefined,
    idempotencyStore: new MemoryIdempotencyStore(),
    readiness: async () => ({}),
  });
  const response = await app.request('/openapi.json');
  if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
  return sortKeys({ version: PUBLIC_API_VERSION, document: await response.json() }) as OpenApiSnapshot;
}

/** Every contract the platform serves, plus the OpenAPI document: what a release records. */
export async function describeRelease(
  contracts: readonly AnyContract[] = allContracts,
): Promise<{ contracts: ContractSnapshot[]; openapi: OpenApiSnapshot }> {
  return { contracts: contracts.map(describeContract), openapi: await describeOpenApi() };
}
