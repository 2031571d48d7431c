import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { fieldErrors, platformErrors } from '../bus/errors.ts';
import { buildInfo } from '../observability/build-info.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { bearerToken } from './bearer.ts';
import type { AppEnv } from './env.ts';
import { problemResponse, toProblem } from './problem.ts';
import { requestContext } from './request-context.ts';

export interface AppOptions {
  name: string;
  log: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  corsOrigins: string[];
  /** Per-IP rate limits, applied before any body is read. */
  rateLimit?: MiddlewareHandler<AppEnv>;
  /** Checks that must pass for /readyz (database and cache reachable); must answer well within a probe's 1 s. */
  readiness: () => Promise<Record<string, boolean>>;
  /** When set, /metrics answers only requests bearing this token (METRICS_TOKEN). */
  metricsToken?: string | undefined;
  /** The role of each database server seen, by module, shown on /readyz. */
  databaseRoles?: () => Promise<Record<string, Record<string, string>>>;
}

export type App = OpenAPIHono<AppEnv>;

/**
 * The one HTTP app factory: request ids and traces, security headers, CORS, body limit,
 * problem+json for every error, health, readiness and metrics endpoints.
 */
export function createApp(options: AppOptions): App {
  const { log, metrics } = options;
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const problem = toProblem(
          platformErrors.validation(fieldErrors(result.error.issues)),
          c.req.path,
          c.get('requestId'),
        );
        return problemResponse(problem);
      }
      return undefined;
    },
  });

  app.use('*', requestContext({ log, metrics }));
  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'same-site' }));
  if (options.corsOrigins.length > 0) {
    app.use(
      '*',
      cors({
        origin: options.corsOrigins,
        exposeHeaders: [
          'ETag',
          'X-Request-Id',
          'Retry-After',
          'RateLimit-Limit',
          'RateLimit-Remaining',
          'RateLimit-Reset',
          'RateLimit-Policy',
          'Deprecation',
          'Sunset',
          'Link',
        ],
        maxAge: 600,
      }),
    );
  }
  if (options.rateLimit) app.use('*', options.rateLimit);
  app.use('*', limitBody(options.bodyLimitBytes));

  app.onError((error, c) => {
    const problem = toProblem(error, c.req.path, c.get('requestId'));
    if (problem.status >= 500) log.error({ err: error, path: c.req.path }, 'unhandled error');
    const headers: Record<string, string> = {};
    const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    return problemResponse(problem, headers);
  });
  app.notFound((c) =>
    problemResponse(
      toProblem(platformErrors.notFound(`No route for ${c.req.method} ${c.req.path}.`), c.req.path, c.get('requestId')),
    ),
  );

  const { version, commit } = buildInfo();
  app.get('/healthz', (c) => c.json({ status: 'ok', service: options.name, version, commit }));
  app.get('/readyz', async (c) => {
    const checks = await options.readiness().catch(() => ({ readiness: false }));
    const ready = Object.values(checks).every(Boolean);
    const roles = await options.databaseRoles?.().catch(() => undefined);
    const databases = roles && Object.keys(roles).length > 0 ? { databases: roles } : {};
    return c.json({ status: ready ? 'ready' : 'not ready', checks, ...databases }, ready ? 200 : 503);
  });
  const metricsAllowed = tokenCheck(options.metricsToken);
  app.get('/metrics', async (c) => {
    if (!metricsAllowed(c.req.header('authorization'))) {
      return problemResponse(
        toProblem(
          platformErrors.unauthorized('/metrics needs the METRICS_TOKEN bearer token.'),
          c.req.path,
          c.get('requestId'),
        ),
      );
    }
    c.header('content-type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  return app;
}

/**
 * 413 for bodies over the limit. Bodiless methods and bodies with a declared length are
 * checked without touching the stream (hono's bodyLimit builds the request body on every
 * request, ~40 µs); chunked bodies are counted by bodyLimit as they stream.
 */
function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Context<AppEnv>) =>
    problemResponse(toProblem(platformErrors.tooLarge(maxSize), c.req.path, c.get('requestId')));
  const streaming = bodyLimit({ maxSize, onError: tooLarge });
  return async function bodyLimitMiddleware(c, next) {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > maxSize ? tooLarge(c) : next();
    }
    return streaming(c, next);
  };
}

/** Whether an Authorization header carries the expected bearer token (always true when none is expected). */
function tokenCheck(expected: string | undefined): (header: string | undefined) => boolean {
  if (expected === undefined) return () => true;
  const want = Buffer.from(expected);
  return (header) => {
    const given = Buffer.from(bearerToken(header) ?? '');
    return given.length === want.length && timingSafeEqual(given, want);
  };
}

/** Path of the docs UI's script, served from the installed package: the page needs no CDN. */
export const DOCS_SCRIPT_PATH = '/docs/scalar.js';

/** Scalar's self-contained browser bundle in node_modules, read once on first use. */
function docsScript(): () => Promise<string> {
  let script: Promise<string> | undefined;
  return () => {
    script ??= readFile(
      fileURLToPath(new URL('./browser/standalone.js', import.meta.resolve('@scalar/api-reference'))),
      'utf8',
    );
    return script;
  };
}

/** Serves the OpenAPI 3.1 document at /openapi.json and interactive docs at /docs (offline: script and fonts from this server). */
export function mountDocs(app: App, info: { title: string; version: string; description: string }): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.doc31('/openapi.json', { openapi: '3.1.0', info });
  const script = docsScript();
  app.get(DOCS_SCRIPT_PATH, async (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(await script());
  });
  app.get(
    '/docs',
    Scalar({ url: '/openapi.json', pageTitle: info.title, cdn: DOCS_SCRIPT_PATH, withDefaultFonts: false }),
  );
}
