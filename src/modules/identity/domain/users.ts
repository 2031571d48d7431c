import type { Caller } from '../../../shared/bus/context.ts';

/** Emails are unique case-insensitively; stored and compared trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Whether the caller may administer users. */
export function isAdmin(caller: Caller | undefined): boolean {
  return caller?.role === 'admin';
}
