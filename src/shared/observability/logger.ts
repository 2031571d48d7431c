import pino, { type Logger } from 'pino';
import { currentLogContext } from './request-context.ts';

export type { Logger };

/** Fields that carry secrets or personal data: removed wherever they appear in a log object (top level or one level down). */
const SENSITIVE_FIELDS = [
  'password',
  'currentPassword',
  'passwordHash',
  'password_hash',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'authorization',
  'cookie',
  'email',
  'secret',
];

/**
 * Error fields that copy a statement's data or user input (postgres.js: `query`, `parameters`,
 * `args`, `types`; PostgreSQL's `detail` names the conflicting values, e.g. an email).
 */
const ERROR_DATA_FIELDS = ['query', 'parameters', 'args', 'types', 'detail', 'where'];

/** Serializes an error with pino's standard serializer, then drops its data fields, in its causes too. */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  return stripErrorData(serialized, 0);
}

function stripErrorData(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (ERROR_DATA_FIELDS.includes(key) || SENSITIVE_FIELDS.includes(key)) continue;
    copy[key] = key === 'cause' || key === 'aggregateErrors' ? stripErrorData(field, depth + 1) : field;
  }
  return copy;
}

/** Creates the process logger: JSON to stdout (asynchronous), pretty when asked; secrets and SQL data never logged. */
export function createLogger(options: {
  level: string;
  pretty: boolean;
  name: string;
  destination?: pino.DestinationStream;
}): Logger {
  const base = {
    level: options.level,
    name: options.name,
    base: { pid: process.pid },
    redact: { paths: SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`]), remove: true },
    serializers: { err: serializeError, error: serializeError },
    mixin: () => {
      const ctx = currentLogContext();
      return ctx ? { ...ctx } : {};
    },
  } satisfies pino.LoggerOptions;
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(base, options.destination ?? pino.destination({ sync: false }));
}
