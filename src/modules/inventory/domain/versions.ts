/**
 * The item version an If-Match value names: "3", 3, W/"3" (weak tags accepted, as clients
 * echo what proxies hand them), or undefined for "*" (any current version).
 */
export function versionOfIfMatch(value: string | number | undefined): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const match = /^\s*(?:(\*)|(?:W\/)?"([1-9]\d{0,8})"|([1-9]\d{0,8}))\s*$/.exec(value);
  if (!match) throw new RangeError(`Not an item version: ${value}`);
  return match[1] ? undefined : Number(match[2] ?? match[3]);
}
