import type { AnyContract, InputOf, Op, OutputOf, ParsedInputOf } from './contract.ts';
import { isRedisUnavailable } from '../cache/redis-client.ts';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/unavailable.ts';
import { childSpan } from '../observability/trace.ts';
import { inSpan, startSpan, tracingOn } from '../observability/tracing.ts';
import type { CallContext, Caller } from './context.ts';
import { AppError, fieldErrors, platformErrors } from './errors.ts';

/** What a handler receives: the call's context plus its module's dependencies. */
export interface HandlerContext<Deps> extends CallContext {
  deps: Deps;
  bus: Bus;
}

export type Handler<O extends Op, Deps> = (input: ParsedInputOf<O>, ctx: HandlerContext<Deps>) => Promise<OutputOf<O>>;

/** Handlers for every op of a contract. */
export type HandlersOf<C extends AnyContract, Deps> = { [K in keyof C['ops']]: Handler<C['ops'][K], Deps> };

/** Carries calls to a module hosted in another process (see shared/bus/http-transport). */
export interface RemoteTransport {
  call(op: Op, input: unknown, ctx: CallContext): Promise<unknown>;
}

/** Told of every call's duration, where it ran (local or http) and how it ended (ok or the error kind). */
export type CallObserver = (op: string, transport: 'local' | 'http', outcome: string, seconds: number) => void;

interface LocalHandler {
  op: Op;
  run(input: unknown, ctx: CallContext): Promise<unknown>;
}

/**
 * Request/reply between modules. A call goes to the local handler when this process hosts
 * the op's module, otherwise to the remote transport routed for that module. Callers cannot
 * tell which: the contract types both ends.
 */
export class Bus {
  private readonly local = new Map<string, LocalHandler>();
  private readonly remote = new Map<string, RemoteTransport>();

  /**
   * onCommand is told of every command a caller sends to a local handler (read-your-writes);
   * observe of every call's outcome and duration (bus_call_duration_seconds).
   */
  constructor(private readonly options: { onCommand?: (caller: Caller) => void; observe?: CallObserver } = {}) {}

  /** Hosts a module's handlers in this process. */
  serve<C extends AnyContract, Deps>(contract: C, handlers: HandlersOf<C, Deps>, deps: Deps): void {
    for (const [key, op] of Object.entries(contract.ops) as [string, Op][]) {
      const handler = (handlers as Record<string, Handler<Op, Deps>>)[key];
      if (!handler) throw new Error(`${op.name} has no handler`);
      this.local.set(op.name, {
        op,
        // A literal, not a spread: spreading cost ~2 µs per call (bench/bus-overhead.ts).
        run: (input, ctx) =>
          handler(input as never, {
            requestId: ctx.requestId,
            trace: ctx.trace,
            caller: ctx.caller,
            deadline: ctx.deadline,
            flags: ctx.flags,
            deps,
            bus: this,
          }),
      });
    }
  }

  /** Sends a module's calls to another process. */
  route(module: string, transport: RemoteTransport): void {
    this.remote.set(module, transport);
  }

  /** Whether this process hosts the op's module. */
  hosts(opName: string): boolean {
    return this.local.has(opName);
  }

  /** Calls an operation by its typed contract reference (in a span `call <op>` while tracing is on). */
  call<O extends Op>(op: O, input: InputOf<O>, ctx: CallContext): Promise<OutputOf<O>> {
    return tracingOn() ? this.traced(op, input, ctx, false) : this.send(op, input, ctx, false);
  }

  /**
   * Calls with an input already parsed by the op's own input schema (an HTTP route of the same
   * contract validated it): a local handler gets it without parsing it again. A remote call
   * is parsed and checked as any other, on both ends.
   */
  callParsed<O extends Op>(op: O, input: ParsedInputOf<O>, ctx: CallContext): Promise<OutputOf<O>> {
    const given = input as unknown as InputOf<O>;
    return tracingOn() ? this.traced(op, given, ctx, true) : this.send(op, given, ctx, true);
  }

  /** A call in its own span: internal when local, client when remote (its id is the hop's traceparent). */
  private async traced<O extends Op>(
    op: O,
    input: InputOf<O>,
    ctx: CallContext,
    parsed: boolean,
  ): Promise<OutputOf<O>> {
    const local = this.local.has(op.name);
    const trace = childSpan(ctx.trace);
    const span = startSpan(
      `call ${op.name}`,
      trace,
      ctx.trace.spanId,
      { 'rpc.method': op.name, 'shareloop.bus.transport': local ? 'local' : 'http' },
      local ? 'internal' : 'client',
    );
    const inner: CallContext = { requestId: ctx.requestId, trace, deadline: ctx.deadline };
    if (ctx.caller) inner.caller = ctx.caller;
    if (ctx.flags) inner.flags = ctx.flags;
    try {
      return await inSpan(trace, () => this.send(op, input, inner, parsed));
    } catch (error) {
      span?.setStatus({ code: 2, message: error instanceof AppError ? error.kind : 'internal' });
      throw error;
    } finally {
      span?.end();
    }
  }

  private async send<O extends Op>(op: O, input: InputOf<O>, ctx: CallContext, parsed: boolean): Promise<OutputOf<O>> {
    const local = this.local.get(op.name);
    const { observe } = this.options;
    if (!observe)
      return local
        ? ((await this.dispatch(local, input, ctx, parsed)) as OutputOf<O>)
        : this.callRemote(op, input, ctx);
    const started = performance.now();
    const transport = local ? 'local' : 'http';
    try {
      const output = local
        ? ((await this.dispatch(local, input, ctx, parsed)) as OutputOf<O>)
        : await this.callRemote(op, input, ctx);
      observe(op.name, transport, 'ok', (performance.now() - started) / 1000);
      return output;
    } catch (error) {
      observe(
        op.name,
        transport,
        error instanceof AppError ? error.kind : 'internal',
        (performance.now() - started) / 1000,
      );
      throw error;
    }
  }

  private async callRemote<O extends Op>(op: O, input: InputOf<O>, ctx: CallContext): Promise<OutputOf<O>> {
    const transport = this.remote.get(op.module);
    if (!transport) throw platformErrors.unavailable(`No route to module ${op.module}.`);
    if (Date.now() >= ctx.deadline) throw platformErrors.deadlineExceeded(op.name);
    const parsed = parseInput(op, input);
    const output = await transport.call(op, parsed, ctx);
    const checked = op.output.safeParse(output);
    if (!checked.success) {
      throw new AppError('badReply', 'internal', `${op.name} returned a reply that breaks its contract.`);
    }
    return checked.data as OutputOf<O>;
  }

  /** The contract version of a locally hosted op. */
  versionOf(opName: string): number | undefined {
    return this.local.get(opName)?.op.version;
  }

  /** Runs a call that arrived from another process (the service side of a hop). */
  async dispatchRemote(opName: string, input: unknown, ctx: CallContext): Promise<unknown> {
    const local = this.local.get(opName);
    if (!local) throw platformErrors.notFound(`This process does not host ${opName}.`);
    return this.dispatch(local, input, ctx, false);
  }

  private dispatch(local: LocalHandler, input: unknown, ctx: CallContext, parsed: boolean): Promise<unknown> {
    if (Date.now() >= ctx.deadline) return Promise.reject(platformErrors.deadlineExceeded(local.op.name));
    if (ctx.caller && local.op.kind === 'command') this.options.onCommand?.(ctx.caller);
    return local.run(parsed ? input : parseInput(local.op, input), ctx).catch(asUnavailable);
  }
}

/** A lost database or Redis connection, or a primary gone read-only, is a 503 with Retry-After, not a 500. */
function asUnavailable(error: unknown): never {
  if (error instanceof AppError) throw error;
  if (isDatabaseUnavailable(error)) throw databaseUnavailable(error);
  if (isRedisUnavailable(error))
    throw platformErrors.unavailable('Redis is unavailable (failing over?); retry shortly.', 1);
  throw error;
}

function parseInput(op: Op, input: unknown): unknown {
  const parsed = op.input.safeParse(input);
  if (!parsed.success) throw platformErrors.validation(fieldErrors(parsed.error.issues));
  return parsed.data;
}
