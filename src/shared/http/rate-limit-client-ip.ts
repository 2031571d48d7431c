import { isIP } from 'node:net';
import { getConnInfo as nodeConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';

// hono/bun reads the Bun global when loaded, so it is imported only under Bun (as serve.ts listens).
const connInfoOf: GetConnInfo = typeof Bun !== 'undefined' ? (await import('hono/bun')).getConnInfo : nodeConnInfo;

/**
 * Which proxies to believe about the client address: false (the default) uses only the
 * connection's peer; true trusts one proxy in front of us; a number trusts that many hops.
 * X-Forwarded-For is read from the right, since every proxy appends the peer it saw and
 * anything further left was written by the client.
 */
export type TrustProxy = boolean | number;

/** The client's IP address, or undefined when neither the runtime nor a trusted proxy tells. */
export function clientIp(c: Context, trustProxy: TrustProxy = false): string | undefined {
  const peer = peerAddress(c);
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : Math.max(0, Math.floor(trustProxy));
  if (hops === 0 || !peer) return peer;
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => normalizeIp(entry.trim()))
    .filter((entry): entry is string => entry !== undefined);
  if (forwarded.length === 0) return peer;
  return forwarded[Math.max(0, forwarded.length - hops)];
}

/**
 * The rate-limit bucket of an address: an IPv4 address (IPv4-mapped IPv6 included) as it is,
 * an IPv6 address as its /64, since one subscriber usually holds a whole /64 and could
 * otherwise rotate addresses to escape the limit.
 */
export function ipBucket(ip: string): string {
  const normalized = normalizeIp(ip);
  if (!normalized) return ip;
  if (isIP(normalized) === 4) return normalized;
  const hextets = expandIpv6(normalized);
  return hextets ? `${hextets.slice(0, 4).join(':')}::/64` : normalized;
}

function peerAddress(c: Context): string | undefined {
  try {
    const address = connInfoOf(c).remote.address;
    return address ? normalizeIp(address) : undefined;
  } catch {
    return undefined; // no connection information, as under app.request() without env
  }
}

/** A valid IP without zone id, IPv4-mapped IPv6 turned into IPv4; undefined when not an IP. */
function normalizeIp(raw: string): string | undefined {
  const ip = raw.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1];
  return isIP(ip) ? ip : undefined;
}

/** The eight hextets of a valid IPv6 address, without leading zeros. */
function expandIpv6(ip: string): string[] | undefined {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const hextets = [...left, ...zeros, ...right].map((h) => parseInt(h, 16).toString(16));
  return hextets.length === 8 ? hextets : undefined;
}
