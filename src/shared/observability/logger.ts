import pino, { type Logger } from 'pino';
import { currentLogContext } from './request-context.ts';

export type { Logger };

/** Creates the process logger: JSON to stdout (asynchronous), pretty when asked. */
export function createLogger(options: { level: string; pretty: boolean; name: string }): Logger {
  const base = {
    level: options.level,
    name: options.name,
    base: { pid: process.pid },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'refreshToken', '*.refreshToken', 'authorization'], remove: true },
    mixin: () => {
      const ctx = currentLogContext();
      return ctx ? { ...ctx } : {};
    },
  } satisfies pino.LoggerOptions;
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(base, pino.destination({ sync: false }));
}
