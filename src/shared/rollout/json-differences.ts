/**
 * The JSON paths (`$.items[0].title`) at which two JSON values differ, at most `limit` of
 * them: a value against a missing one, a type change, or a different scalar.
 */
export function jsonDifferences(a: unknown, b: unknown, limit = 20): string[] {
  const found: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (found.length >= limit) return;
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) walk(x[i], y[i], `${path}[${i}]`);
      return;
    }
    if (isObject(x) && isObject(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const key of [...keys].sort()) walk(x[key], y[key], `${path}${segment(key)}`);
      return;
    }
    if (x !== y) found.push(path);
  };
  walk(a, b, '$');
  return found;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const segment = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
