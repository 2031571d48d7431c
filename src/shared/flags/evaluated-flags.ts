import type { JsonValue } from '@openfeature/core';

/** One flag as evaluated for a request: its value and the variant that gave it (what an experiment records). */
export interface EvaluatedFlag {
  value: JsonValue;
  variant?: string;
}

/** Every enabled flag, evaluated once per request at the edge and carried with the call (see CallContext.flags). */
export type EvaluatedFlags = Readonly<Record<string, EvaluatedFlag>>;
