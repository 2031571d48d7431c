import type { Event } from '../bus/contract.ts';
import type { EventMessage } from './envelope.ts';

/**
 * The payload of a delivered message at the version its consumer reads: an older version
 * (published by a process not yet upgraded) goes through the event's upcasters one version
 * at a time; a newer one than this process knows is refused (it is retried, then dead-lettered,
 * and can be replayed once this consumer runs the new version).
 */
export function upcastPayload(event: Event, message: EventMessage): unknown {
  const published = message.envelope.version ?? event.version;
  if (published > event.version) {
    throw new Error(`${event.name} v${published} is newer than the v${event.version} this process reads`);
  }
  let payload = message.payload;
  for (let version = published; version < event.version; version++) {
    const upcaster = event.upcasters?.[version];
    if (!upcaster) throw new Error(`${event.name} has no upcaster from v${version}`);
    payload = upcaster(payload, message.envelope);
  }
  return payload;
}
