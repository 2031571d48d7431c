/** One server-sent event as a client sees it; a comment line (heartbeat) has only `comment`. */
export interface ServerSentEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/**
 * Reads a text/event-stream response frame by frame (tests only): every frame received is
 * kept in `seen`, and `next` waits for the first not yet taken that matches.
 */
export function readEventStream(response: Response) {
  if (!response.body) throw new Error('the response has no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const seen: ServerSentEvent[] = [];
  const taken = new Set<ServerSentEvent>();
  let waiters: (() => void)[] = [];
  let buffer = '';
  let ended = false;

  const parse = (frame: string): ServerSentEvent => {
    const event: ServerSentEvent = {};
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) event.comment = line.slice(1).trim();
      const match = /^(event|id|data): ?(.*)$/.exec(line);
      if (!match) continue;
      const [, field, value] = match as unknown as [string, 'event' | 'id' | 'data', string];
      event[field] = field === 'data' && event.data !== undefined ? `${event.data}\n${value}` : value;
    }
    return event;
  };

  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          seen.push(parse(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
        for (const wake of waiters) wake();
        waiters = [];
      }
    } catch {
      // cancelled
    } finally {
      ended = true;
      for (const wake of waiters) wake();
    }
  })();

  return {
    seen,
    /** Whether the server ended the stream. */
    get ended() {
      return ended;
    },
    /** The first frame not taken yet that matches, waiting up to timeoutMs. */
    async next(match: (event: ServerSentEvent) => boolean = () => true, timeoutMs = 10_000): Promise<ServerSentEvent> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((e) => !taken.has(e) && match(e));
        if (found) {
          taken.add(found);
          return found;
        }
        if (ended) throw new Error(`the stream ended without a matching event; saw ${JSON.stringify(seen)}`);
        const left = until - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    /** Waits for the server to end the stream. */
    async closed(timeoutMs = 10_000): Promise<void> {
      await Promise.race([
        pump,
        new Promise((_, reject) => setTimeout(() => reject(new Error('the stream stayed open')), timeoutMs).unref()),
      ]);
    },
    /** Disconnects, as a client leaving. */
    async cancel(): Promise<void> {
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}

/** The notification a `notification` event carries. */
export function notificationOf(event: ServerSentEvent): {
  id: string;
  userId: string;
  kind: string;
  title: string;
  data: Record<string, unknown>;
} {
  return JSON.parse(event.data ?? 'null');
}
