import type { CallObserver } from '../bus/bus.ts';
import type { Metrics } from './metrics.ts';

/** Feeds bus_call_duration_seconds, keeping one labelled child per op, transport and outcome. */
export function busObserver(metrics: Metrics): CallObserver {
  const children = new Map<string, { observe(seconds: number): void }>();
  return (op, transport, outcome, seconds) => {
    const key = `${op}|${transport}|${outcome}`;
    let child = children.get(key);
    if (!child) {
      child = metrics.busDuration.labels({ op, transport, outcome });
      children.set(key, child);
    }
    child.observe(seconds);
  };
}
