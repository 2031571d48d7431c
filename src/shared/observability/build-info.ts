import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** What build this process runs: the package's version and the commit it was built from. */
export interface BuildInfo {
  /** Semantic version: SHARELOOP_VERSION when set (a rollout starting "the new version"), else package.json's. */
  version: string;
  /** Short commit: SHARELOOP_COMMIT (set by the image build), else the checkout's HEAD, else "unknown". */
  commit: string;
}

let cached: BuildInfo | undefined;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function checkoutCommit(): string {
  try {
    const cwd = new URL('../../..', import.meta.url);
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/** This process's build, read once. */
export function buildInfo(): BuildInfo {
  cached ??= {
    version: process.env.SHARELOOP_VERSION || packageVersion(),
    commit: process.env.SHARELOOP_COMMIT || checkoutCommit(),
  };
  return cached;
}
