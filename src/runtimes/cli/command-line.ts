import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Exit code of a command line the command does not understand (as getopt tools use). */
export const USAGE_EXIT = 2;

/**
 * Parses an operator command's arguments: `--help` prints usage and exits 0; an unknown flag,
 * a missing value or a stray argument prints one line and exits 2.
 */
export function parseCommandLine<O extends Options>(
  command: string,
  usage: string,
  options: O,
  argv = process.argv.slice(2),
  allowPositionals = false,
) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O,
      strict: true,
      allowPositionals: allowPositionals as true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(`${usage.trim()}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    return usageError(command, message);
  }
}

/** Prints one line about a wrong command line and exits 2. */
export function usageError(command: string, message: string): never {
  process.stderr.write(`${command}: ${message} (see npm run ${command} -- --help)\n`);
  process.exit(USAGE_EXIT);
}

/** Prints one line about a failure and exits 1. */
export function fail(command: string, message: string): never {
  process.stderr.write(`${command}: ${message}\n`);
  process.exit(1);
}
