/**
 * Module boundaries, checked on every .ts file under src/, test/, bench/ and scripts/:
 *   - a module reaches another module only through its contract.ts;
 *   - shared/ knows no module and no runtime;
 *   - nothing in src/ outside runtimes/ imports runtimes/;
 *   - test/, bench/ and scripts/ use a module as a runtime does (contract.ts, module.ts,
 *     routes.ts) or through the helpers it publishes for tests (testing/); only a suite named
 *     for a module (test/<module>/) reaches into that module, and the few other reaches are
 *     listed, each with its reason, in OUTSIDE_EXCEPTIONS;
 *   - code that ships (src/ but tests and testing/ helpers) imports nothing from test/, bench/, scripts/.
 * Every import form counts: static, `import type`, `export … from`, dynamic import(),
 * `import('…')` types and require(). The rules come from one policy table below and apply
 * to whatever modules exist under src/modules; nothing is written per module.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

// ---------------------------------------------------------------------------------------
// The policy: one table.

/** Where a file sits. */
type Place =
  | { layer: 'module'; module: string; file: string; test: boolean }
  | { layer: 'shared' }
  | { layer: 'runtimes' }
  | { layer: 'src' } // any other folder under src/ (e.g. a CLI entrypoint)
  | { layer: 'outside'; suiteOf: string | undefined } // test/, bench/, scripts/; suiteOf: the <name> of test/<name>/
  | { layer: 'elsewhere' }; // packages, anything not scanned

type Importer = 'module' | 'moduleTest' | 'shared' | 'runtimes' | 'src' | 'outside';

/**
 * Which files of *another* module each kind of importer may import, and whether it may
 * import runtimes/. A module's test may compose modules (host their module.ts) like a
 * runtime does, but never reach into their internals.
 */
const POLICY: Record<Importer, { otherModuleFiles: readonly string[]; runtimes: boolean; why: string }> = {
  module: {
    otherModuleFiles: ['contract.ts'],
    runtimes: false,
    why: 'a module imports other modules only through their contract.ts',
  },
  moduleTest: {
    otherModuleFiles: ['contract.ts', 'module.ts', 'routes.ts'],
    runtimes: false,
    why: 'a test may host other modules (module.ts) or use their contract.ts, never their internals',
  },
  shared: { otherModuleFiles: [], runtimes: false, why: 'shared/ is the platform and knows no module' },
  runtimes: {
    otherModuleFiles: ['contract.ts', 'module.ts', 'routes.ts'],
    runtimes: true,
    why: 'runtimes import a module only through contract.ts, module.ts or routes.ts',
  },
  src: {
    otherModuleFiles: ['contract.ts', 'module.ts', 'routes.ts'],
    runtimes: false,
    why: 'entrypoints outside runtimes/ import a module only through contract.ts, module.ts or routes.ts',
  },
  outside: {
    otherModuleFiles: ['contract.ts', 'module.ts', 'routes.ts'],
    runtimes: true,
    why: 'test/, bench/ and scripts/ import a module only through contract.ts, module.ts, routes.ts or its testing/ helpers (test/<module>/ may reach into its own module)',
  },
};
const RUNTIMES_RULE = 'nothing outside runtimes/ imports runtimes/';
const SHIPPED_RULE = 'code that ships imports nothing from test/, bench/ or scripts/';
/** The target of an import whose specifier is computed at run time. */
const COMPUTED = '(computed)';

/** Reaches from test/, bench/ or scripts/ into a module that the rule refuses, each with why it is needed. */
const OUTSIDE_EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [
  {
    from: 'test/rentals/user-deleted.test.ts',
    to: 'src/modules/inventory/subscriptions.ts',
    why: "runs inventory's identity.userDeleted consumer in a transaction of its own, beside rentals' one, to see both outcomes of one deletion",
  },
  {
    from: 'test/rentals/user-deleted.test.ts',
    to: 'src/modules/inventory/db/schema.ts',
    why: "the outbox table that inventory's consumer above publishes through",
  },
  {
    from: 'test/deploy/kubernetes.test.ts',
    to: COMPUTED,
    why: 'loads the kubernetes-models package schema of each manifest kind by name',
  },
  { from: 'bench/run.ts', to: COMPUTED, why: "reads each dependency's package.json by name for the report" },
];

function placeOf(path: string): Place {
  const module = /^src\/modules\/([^/]+)\/(.+)$/.exec(path);
  if (module) return { layer: 'module', module: module[1]!, file: module[2]!, test: isTestCode(path) };
  if (path.startsWith('src/shared/')) return { layer: 'shared' };
  if (path.startsWith('src/runtimes/')) return { layer: 'runtimes' };
  if (path.startsWith('src/')) return { layer: 'src' };
  if (/^(test|bench|scripts)\//.test(path)) return { layer: 'outside', suiteOf: /^test\/([^/]+)\//.exec(path)?.[1] };
  return { layer: 'elsewhere' };
}

/** Tests and the helpers written for them (a `testing/` folder), which never ship. */
function isTestCode(path: string): boolean {
  return path.endsWith('.test.ts') || path.includes('/testing/');
}

function importerOf(place: Place): Importer | undefined {
  if (place.layer === 'module') return place.test ? 'moduleTest' : 'module';
  return place.layer === 'elsewhere' ? undefined : place.layer;
}

// ---------------------------------------------------------------------------------------
// Import extraction (TypeScript's parser, so comments and strings never count).

interface ImportRef {
  specifier: string | undefined; // undefined: a dynamic import that cannot be resolved statically
  form: 'import' | 'import type' | 'export from' | 'dynamic import' | 'import type node' | 'require';
  line: number;
}

function importsOf(path: string, source: string): ImportRef[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const lineOf = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const literal = (node: ts.Node | undefined) =>
    node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const typeOnly = node.importClause?.isTypeOnly === true;
      found.push({
        specifier: literal(node.moduleSpecifier),
        form: typeOnly ? 'import type' : 'import',
        line: lineOf(node),
      });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      found.push({ specifier: literal(node.moduleSpecifier), form: 'export from', line: lineOf(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      found.push({ specifier: literal(node.moduleReference.expression), form: 'require', line: lineOf(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      found.push({ specifier: literal(node.arguments[0]), form: 'dynamic import', line: lineOf(node) });
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      found.push({ specifier: literal(node.arguments[0]), form: 'require', line: lineOf(node) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push({ specifier: literal(node.argument.literal), form: 'import type node', line: lineOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The repo-relative file a relative specifier names; undefined for packages and node: builtins. */
function resolveSpecifier(importer: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(importer), specifier));
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.ts'), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => files.has(c)) ?? (base.endsWith('.ts') ? base : `${base}.ts`);
}

// ---------------------------------------------------------------------------------------
// The checker.

interface Violation {
  file: string;
  line: number;
  form: ImportRef['form'];
  specifier: string;
  rule: string;
}

function checkBoundaries(sources: ReadonlyArray<{ path: string; source: string }>): Violation[] {
  const files = new Set(sources.map((s) => s.path));
  const violations: Violation[] = [];
  for (const { path, source } of sources) {
    const from = placeOf(path);
    const importer = importerOf(from);
    if (!importer) continue;
    const policy = POLICY[importer];
    for (const ref of importsOf(path, source)) {
      const report = (rule: string) =>
        violations.push({ file: path, line: ref.line, form: ref.form, specifier: ref.specifier ?? COMPUTED, rule });
      const excepted = (target: string) =>
        from.layer === 'outside' && OUTSIDE_EXCEPTIONS.some((e) => e.from === path && e.to === target);
      if (ref.specifier === undefined) {
        if (excepted(COMPUTED)) continue;
        report('an import must name its module with a string literal so its boundary can be checked');
        continue;
      }
      const target = resolveSpecifier(path, ref.specifier, files);
      if (!target) continue;
      const to = placeOf(target);
      if (to.layer === 'runtimes' && !policy.runtimes) report(RUNTIMES_RULE);
      if (to.layer === 'outside' && from.layer !== 'outside' && !isTestCode(path)) report(SHIPPED_RULE);
      if (to.layer !== 'module') continue;
      if (from.layer === 'module' && from.module === to.module) continue;
      if (from.layer === 'outside' && (from.suiteOf === to.module || to.file.startsWith('testing/'))) continue;
      if (excepted(target)) continue;
      if (!policy.otherModuleFiles.includes(to.file)) report(policy.why);
    }
  }
  return violations;
}

function sourcesUnder(dir: string): { path: string; source: string }[] {
  return readdirSync(`${root}${dir}`, { recursive: true, encoding: 'utf8' })
    .map((entry) => `${dir}/${entry.split('\\').join('/')}`)
    .filter((path) => path.endsWith('.ts'))
    .sort()
    .map((path) => ({ path, source: readFileSync(`${root}${path}`, 'utf8') }));
}

const format = (violations: Violation[]) =>
  violations.map((v) => `  ${v.file}:${v.line} ${v.form} '${v.specifier}' — ${v.rule}`).join('\n');

// ---------------------------------------------------------------------------------------

describe('module boundaries in src/, test/, bench/ and scripts/', () => {
  const sources = ['src', 'test', 'bench', 'scripts'].flatMap(sourcesUnder);
  const modules = readdirSync(`${root}src/modules`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);

  test('the scan sees the source tree and its imports', () => {
    assert.ok(sources.length >= 20, `only ${sources.length} files under src/`);
    assert.ok(modules.includes('identity'));
    const identityModule = sources.find((s) => s.path === 'src/modules/identity/module.ts');
    assert.ok(identityModule);
    const targets = importsOf(identityModule.path, identityModule.source).map((r) =>
      resolveSpecifier(identityModule.path, r.specifier!, new Set(sources.map((s) => s.path))),
    );
    assert.ok(targets.includes('src/modules/identity/contract.ts'));
    assert.ok(targets.includes('src/shared/modules/define-module.ts'));
    for (const dir of ['test/support/', 'bench/', 'scripts/'])
      assert.ok(
        sources.some((s) => s.path.startsWith(dir)),
        `nothing scanned under ${dir}`,
      );
  });

  test('every module has a contract.ts (its only public face) and a module.ts', () => {
    for (const module of modules) {
      assert.ok(
        sources.some((s) => s.path === `src/modules/${module}/contract.ts`),
        `${module} has no contract.ts`,
      );
      assert.ok(
        sources.some((s) => s.path === `src/modules/${module}/module.ts`),
        `${module} has no module.ts`,
      );
    }
  });

  test('no file breaks a boundary', () => {
    const violations = checkBoundaries(sources);
    assert.deepEqual(violations, [], `boundary violations:\n${format(violations)}`);
  });

  test('every listed exception is still needed', () => {
    const files = new Set(sources.map((s) => s.path));
    for (const exception of OUTSIDE_EXCEPTIONS) {
      const source = sources.find((s) => s.path === exception.from);
      const targets = importsOf(exception.from, source?.source ?? '').map((r) =>
        r.specifier === undefined ? COMPUTED : resolveSpecifier(exception.from, r.specifier, files),
      );
      assert.ok(
        targets.includes(exception.to),
        `${exception.from} no longer imports ${exception.to}: drop the exception`,
      );
    }
  });
});

describe('the boundary checker itself', () => {
  const synthetic = [
    // Allowed.
    {
      path: 'src/modules/rentals/handlers/rent-item.ts',
      source: `
        import { z } from 'zod';
        import { randomUUID } from 'node:crypto';
        import { inventory } from '../../inventory/contract.ts';
        import type { payments } from '../../payments/contract';
        export { identity } from '../../identity/contract.ts';
        import { findRental } from './find-rental.ts';
        import { rentals } from '../db/schema.ts';
        import type { Bus } from '../../../shared/bus/bus.ts';
        const later = () => import('../../inventory/contract.ts');
        // import { reserveItem } from '../../inventory/handlers/reserve-item.ts';
        /* export * from '../../inventory/db/schema.ts'; */
        const text = "import x from '../../inventory/db/schema.ts'";
      `,
    },
    {
      path: 'src/modules/inventory/contract.ts',
      source: `import { defineContract } from '../../shared/bus/contract.ts';`,
    },
    {
      path: 'src/modules/rentals/rentals.integration.test.ts',
      source: `import { inventoryModule } from '../inventory/module.ts';\nimport { rentalsModule } from './module.ts';`,
    },
    {
      path: 'src/runtimes/modules.ts',
      source: `import { inventoryModule } from '../modules/inventory/module.ts';\nimport { identity } from '../modules/identity/contract.ts';\nimport { x } from './public-api.ts';`,
    },
    {
      path: 'src/shared/http/app.ts',
      source: `import { AppError } from '../bus/errors.ts';\nimport { Hono } from 'hono';`,
    },

    // Violations, one per line, named in `expected` below.
    {
      path: 'src/modules/rentals/handlers/start-rental.ts',
      source: [
        `import { reserveItem } from '../../inventory/handlers/reserve-item.ts';`,
        `import type { items } from '../../inventory/db/schema.ts';`,
        `export { itemStatus } from '../../inventory/domain/status.ts';`,
        `const handlers = await import('../../inventory/module.ts');`,
        `type Items = typeof import('../../inventory/db/schema.ts');`,
        `import {\n  a,\n  b,\n} from '../../payments/domain/ledger.js';`,
        `import x from '../../payments/handlers/settle';`,
        `export * from '../../payments/deps.ts';`,
        `const dynamic = await import('../../' + name + '/module.ts');`,
        `import { serve } from '../../../runtimes/monolith.ts';`,
      ].join('\n'),
    },
    {
      path: 'src/modules/rentals/rentals.integration.test.ts',
      source: `import { items } from '../inventory/db/schema.ts';`,
    },
    {
      path: 'src/shared/bus/registry.ts',
      source: `import { identity } from '../../modules/identity/contract.ts';\nimport type { Config } from '../config/config.ts';`,
    },
    { path: 'src/shared/http/docs.ts', source: `import { allContracts } from '../../runtimes/contracts.ts';` },
    { path: 'src/runtimes/worker.ts', source: `import { relay } from '../modules/payments/handlers/run-once.ts';` },
    {
      path: 'src/cli/migrate.ts',
      source: `import { allModules } from '../runtimes/modules.ts';\nimport { paymentsModule } from '../modules/payments/module.ts';`,
    },
    // test/, bench/, scripts/: allowed, then refused.
    {
      path: 'test/e2e/listing.test.ts',
      source: [
        `import { inventory } from '../../src/modules/inventory/contract.ts';`,
        `import { inventoryModule } from '../../src/modules/inventory/module.ts';`,
        `import { readEventStream } from '../../src/modules/notifications/testing/event-stream.ts';`,
        `import { allModules } from '../../src/runtimes/modules.ts';`,
        `import { eventually } from '../support/eventually.ts';`,
        `import { items } from '../../src/modules/inventory/db/schema.ts';`,
      ].join('\n'),
    },
    {
      path: 'test/rentals/crash.test.ts',
      source: `import { faults } from '../../src/modules/rentals/saga/faults.ts';\nimport { ledger } from '../../src/modules/payments/domain/ledger.ts';`,
    },
    { path: 'bench/rent.ts', source: `import { runSaga } from '../src/modules/rentals/saga/run-saga.ts';` },
    {
      path: 'src/shared/db/pool.ts',
      source: `import { testServers } from '../../../test/support/env.ts';`,
    },
    {
      path: 'src/shared/db/testing/databases.ts',
      source: `import { testServers } from '../../../../test/support/env.ts';`,
    },
  ];

  const expected = [
    ['src/modules/rentals/handlers/start-rental.ts', 'import', '../../inventory/handlers/reserve-item.ts'],
    ['src/modules/rentals/handlers/start-rental.ts', 'import type', '../../inventory/db/schema.ts'],
    ['src/modules/rentals/handlers/start-rental.ts', 'export from', '../../inventory/domain/status.ts'],
    ['src/modules/rentals/handlers/start-rental.ts', 'dynamic import', '../../inventory/module.ts'],
    ['src/modules/rentals/handlers/start-rental.ts', 'import type node', '../../inventory/db/schema.ts'],
    ['src/modules/rentals/handlers/start-rental.ts', 'import', '../../payments/domain/ledger.js'],
    ['src/modules/rentals/handlers/start-rental.ts', 'import', '../../payments/handlers/settle'],
    ['src/modules/rentals/handlers/start-rental.ts', 'export from', '../../payments/deps.ts'],
    ['src/modules/rentals/handlers/start-rental.ts', 'dynamic import', '(computed)'],
    ['src/modules/rentals/handlers/start-rental.ts', 'import', '../../../runtimes/monolith.ts'],
    ['src/modules/rentals/rentals.integration.test.ts', 'import', '../inventory/db/schema.ts'],
    ['src/shared/bus/registry.ts', 'import', '../../modules/identity/contract.ts'],
    ['src/shared/http/docs.ts', 'import', '../../runtimes/contracts.ts'],
    ['src/runtimes/worker.ts', 'import', '../modules/payments/handlers/run-once.ts'],
    ['src/cli/migrate.ts', 'import', '../runtimes/modules.ts'],
    ['test/e2e/listing.test.ts', 'import', '../../src/modules/inventory/db/schema.ts'],
    ['test/rentals/crash.test.ts', 'import', '../../src/modules/payments/domain/ledger.ts'],
    ['bench/rent.ts', 'import', '../src/modules/rentals/saga/run-saga.ts'],
    ['src/shared/db/pool.ts', 'import', '../../../test/support/env.ts'],
  ];

  test('catches every violation form and nothing else', () => {
    const violations = checkBoundaries(synthetic);
    const got = violations.map((v) => [v.file, v.form, v.specifier]);
    assert.deepEqual(got, expected, format(violations));
  });

  test('names the broken rule and the line', () => {
    const violations = checkBoundaries(synthetic);
    const byFile = (file: string) => violations.filter((v) => v.file === file);
    assert.match(byFile('src/shared/bus/registry.ts')[0]!.rule, /shared\/ .*knows no module/);
    assert.equal(byFile('src/shared/http/docs.ts')[0]!.rule, RUNTIMES_RULE);
    assert.equal(byFile('src/shared/db/pool.ts')[0]!.rule, SHIPPED_RULE);
    assert.match(byFile('bench/rent.ts')[0]!.rule, /test\/, bench\/ and scripts\/ import a module only through/);
    assert.match(byFile('src/modules/rentals/handlers/start-rental.ts')[0]!.rule, /only through their contract\.ts/);
    assert.deepEqual(
      byFile('src/modules/rentals/handlers/start-rental.ts').map((v) => v.line),
      [1, 2, 3, 4, 5, 6, 10, 11, 12, 13],
    );
  });

  test('the rules cover a module that did not exist when they were written', () => {
    const violations = checkBoundaries([
      {
        path: 'src/modules/zeppelins/handlers/fly.ts',
        source: `import { hangar } from '../../airships/db/schema.ts';\nimport { airships } from '../../airships/contract.ts';`,
      },
    ]);
    assert.deepEqual(
      violations.map((v) => v.specifier),
      ['../../airships/db/schema.ts'],
    );
  });
});
