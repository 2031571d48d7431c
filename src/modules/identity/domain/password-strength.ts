/** Passwords people pick first; refused whatever their length. */
const COMMON = new Set([
  'password',
  'password1',
  'password12',
  'password123',
  'password1234',
  'passw0rd',
  'p@ssw0rd',
  'qwertyuiop',
  'qwerty1234',
  'qwerty123456',
  '1234567890',
  '12345678910',
  '123456789012',
  '0123456789',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'iloveyou12',
  'letmein123',
  'welcome123',
  'administrator',
  'shareloop',
  'shareloop1',
  'shareloop123',
  'abcdefghij',
  'abc1234567',
  'changeme123',
  'football123',
  'sunshine12',
  'monkey1234',
  'dragon1234',
]);

/** Fewest different characters a password may have. */
export const MIN_DISTINCT_CHARACTERS = 5;

/**
 * The password rule (beyond the length of 10 to 128 characters the contract checks): at least
 * five different characters, not a well-known password, and not containing the email's name.
 * Returns why a password is weak, or undefined when it is acceptable.
 */
export function passwordWeakness(password: string, email?: string): string | undefined {
  const lowered = password.toLowerCase();
  if (new Set(lowered).size < MIN_DISTINCT_CHARACTERS)
    return `use at least ${MIN_DISTINCT_CHARACTERS} different characters`;
  if (COMMON.has(lowered) || COMMON.has(lowered.replace(/[^a-z0-9@]/g, ''))) return 'this password is too common';
  const name = email?.split('@')[0]?.toLowerCase();
  if (name && name.length >= 4 && lowered.includes(name)) return 'the password must not contain your email address';
  return undefined;
}
