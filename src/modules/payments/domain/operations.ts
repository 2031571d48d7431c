/** The commands whose repeats an operation key makes safe. */
export type KeyedCommand = 'authorizePayment' | 'capturePayment' | 'voidAuthorization' | 'refundPayment';

/**
 * What an operation key promises: the same command with the same parameters. Keys are
 * sorted and undefined values dropped, so equal parameters always give the same text.
 */
export function fingerprintOf(command: KeyedCommand, params: Record<string, unknown>): string {
  return canonicalJson({ command, params });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}
