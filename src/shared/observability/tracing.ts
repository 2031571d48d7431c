import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import { childSpan, type TraceContext } from './trace.ts';

/** Set while a span is started whose ids the platform already chose (its W3C trace context). */
let forced: TraceContext | undefined;
let tracer: Tracer | undefined;
/** The span the current async execution runs in; only written while tracing is on. */
const active = new AsyncLocalStorage<TraceContext>();

/**
 * Starts exporting spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (once per
 * process); otherwise tracing stays off and every span helper returns at once.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): void {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || tracer) return;
  const random = new RandomIdGenerator();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? service }),
    // Span ids are the platform's own (propagated as traceparent), so parents match across processes.
    idGenerator: {
      generateTraceId: () => forced?.traceId ?? random.generateTraceId(),
      generateSpanId: () => forced?.spanId ?? random.generateSpanId(),
    },
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }), {
        scheduledDelayMillis: 500,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  tracer = provider.getTracer('shareloop');
  const flush = () => void provider.forceFlush().catch(() => {});
  process.once('beforeExit', flush);
  process.once('SIGTERM', flush);
}

type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

const KINDS: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

/**
 * Starts a span with the platform's ids: `self` is this span's trace context, `parentSpanId` its
 * parent's span id (from an incoming traceparent), if any. Returns undefined when tracing is off.
 */
export function startSpan(
  name: string,
  self: TraceContext,
  parentSpanId: string | undefined,
  attributes: Attributes,
  kind: SpanKindName = 'server',
): Span | undefined {
  if (!tracer) return undefined;
  const parent = parentSpanId
    ? trace.setSpanContext(ROOT_CONTEXT, {
        traceId: self.traceId,
        spanId: parentSpanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      })
    : ROOT_CONTEXT;
  forced = self;
  try {
    return tracer.startSpan(
      name,
      {
        attributes,
        kind: KINDS[kind],
      },
      parent,
    );
  } finally {
    forced = undefined;
  }
}

/** Whether spans are being exported (callers skip building attributes otherwise). */
export function tracingOn(): boolean {
  return tracer !== undefined;
}

/**
 * Runs fn as a child span of the current execution's span (activeSpan); for work that has no
 * CallContext at hand (database transactions); without a current span, fn runs untraced. Only call
 * while tracingOn().
 */
export async function withChildSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const parent = active.getStore();
  if (!parent) return fn(); // outside any request or message (relay, migrations): no trace of its own
  const self = childSpan(parent);
  const span = startSpan(name, self, parent?.spanId, attributes, 'internal');
  try {
    return await active.run(self, fn);
  } catch (error) {
    span?.setStatus({ code: 2, message: (error as Error).message });
    throw error;
  } finally {
    span?.end();
  }
}

/** Runs fn with `self` as the current span (its database transactions hang under it). Only while tracingOn(). */
export function inSpan<T>(self: TraceContext, fn: () => T): T {
  return active.run(self, fn);
}

/** The span the current execution runs in, if one was set by inSpan. */
export function activeSpan(): TraceContext | undefined {
  return active.getStore();
}
