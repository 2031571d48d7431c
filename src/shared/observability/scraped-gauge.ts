import { Gauge, type Registry } from 'prom-client';

/** One reading of a scraped gauge: its labels and value. */
export type Reading<L extends string> = [labels: Partial<Record<L, string>>, value: number];

/** Reads current values at scrape time (a database count, a Redis stream summary). */
export type ReadingSource<L extends string> = () => Promise<Reading<L>[]>;

/** How long one source may take before a scrape leaves its series out. */
const SOURCE_TIMEOUT_MS = 500;

/**
 * A gauge computed at scrape time from sources that components add (and remove on stop).
 * Sources run side by side, each bounded in time; one that fails or is slow leaves its
 * series out of that scrape instead of failing or stalling /metrics.
 */
export function scrapedGauge<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]) {
  const sources = new Set<ReadingSource<L>>();
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const results = await Promise.all([...sources].map((source) => bounded(source())));
      this.reset();
      for (const readings of results) for (const [labels, value] of readings) this.set(labels, value);
    },
  });
  return {
    /** Adds a source; returns the function that removes it. */
    add(source: ReadingSource<L>): () => void {
      sources.add(source);
      return () => sources.delete(source);
    },
  };
}

export type ScrapedGauge<L extends string> = ReturnType<typeof scrapedGauge<L>>;

function bounded<T>(reading: Promise<T[]>): Promise<T[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T[]>((resolve) => {
    timer = setTimeout(() => resolve([]), SOURCE_TIMEOUT_MS);
  });
  return Promise.race([reading.catch(() => [] as T[]), timeout]).finally(() => clearTimeout(timer));
}
