import type { DiscoverySource, Instance, InstancesListener } from './discovery-source.ts';
import { InstanceList } from './instance-list.ts';

/** A fixed list of instances, e.g. from `INVENTORY_URLS=http://a:4001,http://b:4001`. */
export class StaticSource implements DiscoverySource {
  private readonly list = new InstanceList();

  /** Throws unless every url is an http(s) base url; trailing slashes are dropped. */
  constructor(urls: readonly string[], name = 'StaticSource') {
    this.list.set(urls.map((value) => normalizeUrl(value, name)).map((url) => ({ id: url, url })));
  }

  /** Parses a comma-separated list of http(s) urls; `name` (the variable) appears in errors. */
  static parse(value: string, name = 'urls'): StaticSource {
    const urls = value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    if (urls.length === 0) throw new Error(`${name} lists no urls`);
    return new StaticSource(urls, name);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  instances(): readonly Instance[] {
    return this.list.get();
  }

  subscribe(listener: InstancesListener): () => void {
    return this.list.subscribe(listener);
  }
}

function normalizeUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}: "${value}" is not a url`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${name}: "${value}" is not an http(s) url`);
  if (url.username || url.password) throw new Error(`${name}: "${url.host}" must not carry credentials`);
  if (url.search || url.hash) throw new Error(`${name}: "${value}" must be a base url without query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
