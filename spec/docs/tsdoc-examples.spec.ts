import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import * as rxjs from 'rxjs';
import {
  projectRoot,
  typeCheckSnippets,
  virtualFileName,
  type CompiledSnippet,
} from '../support/compile-snippets.js';

// Every TSDoc @example in lib/ is type-checked, so the API reference cannot teach code that does not
// compile. An example is a fragment under its symbol's heading: the checker imports for it the
// package names it uses (from the entry point that exports them, or from its own file for a symbol
// the entry points do not export) and the rxjs names it uses. What an example takes from the reader's
// own program (a `db`, the `rows`, a `coordinator` made earlier) is declared, with a type, in
// spec/docs/example-context.ts: the one place that says what the examples assume. A name found
// nowhere is an error, as it would be in the reader's program.
const ENTRIES: Record<string, string> = {
  'rxjs-backpressure': 'lib/index.ts',
  'rxjs-backpressure/testing': 'lib/testing/index.ts',
  'rxjs-backpressure/webhook': 'lib/webhook/index.ts',
  'rxjs-backpressure/node': 'lib/node/index.ts',
  'rxjs-backpressure/redis': 'lib/redis/index.ts',
  'rxjs-backpressure/nats': 'lib/nats/index.ts',
  'rxjs-backpressure/prometheus': 'lib/prometheus/index.ts',
  'rxjs-backpressure/otel': 'lib/otel/index.ts',
};
const CONTEXT = 'spec/docs/example-context.ts';
/** rxjs names that exist as types only (the runtime keys of `rxjs` give the rest). */
const RXJS_TYPES = [
  'OperatorFunction',
  'MonoTypeOperatorFunction',
  'SchedulerLike',
  'ObservableInput',
  'Observer',
];
/** rxjs exports whose names an example means as its own variable (rxjs' `queue` is a scheduler). */
const RXJS_NOT_MEANT = ['queue', 'config', 'asap', 'async', 'animationFrame', 'identity', 'noop', 'pipe'];

interface Example extends CompiledSnippet {
  readonly file: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(projectRoot, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Each ```ts block after an @example tag, with the `*` margin taken off, and its line in the file. */
function examplesOf(file: string, text: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const fence = /@example[^\n]*\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g;
  for (const match of text.matchAll(fence)) {
    const code = match[1]!
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n');
    found.push({ line: text.slice(0, match.index).split('\n').length, code });
  }
  return found;
}

/** The names an entry point (or any module) exports, read from its source. */
function exportedNames(file: string): Set<string> {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(projectRoot, file), 'utf8'),
    ts.ScriptTarget.Latest,
  );
  const names = new Set<string>();
  for (const statement of source.statements) {
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements) names.add(element.name.text);
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.add(statement.name.text);
    }
  }
  return names;
}

/** Every name a block declares or imports itself, at any depth (those are never imported for it). */
function declaredNames(code: string): Set<string> {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true);
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    const name = (node as { name?: ts.Node }).name;
    if (
      name &&
      ts.isIdentifier(name) &&
      (ts.isVariableDeclaration(node) ||
        ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node) ||
        ts.isParameter(node) ||
        ts.isImportSpecifier(node) ||
        ts.isNamespaceImport(node) ||
        ts.isImportClause(node) ||
        ts.isBindingElement(node))
    ) {
      names.add(name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

const entryExports = Object.entries(ENTRIES).map(([specifier, file]) => ({
  specifier,
  folder: file.split('/')[1]!,
  names: exportedNames(file),
}));
const rxjsNames = new Set(
  [...Object.keys(rxjs), ...RXJS_TYPES].filter((name) => !RXJS_NOT_MEANT.includes(name)),
);
const contextNames = exportedNames(CONTEXT);
/** For examples of internal symbols: each name any lib/ file exports, and the first file that does. */
const libExports = new Map<string, string>();
for (const file of sourceFiles('lib'))
  for (const name of exportedNames(file)) if (!libExports.has(name)) libExports.set(name, file);
const moduleOf = (file: string) => `../../../${file.replace(/\.ts$/, '.js')}`;

/** The module the checker compiles for one example: its imports, then the example as written. */
function moduleFor(file: string, code: string): string {
  const used = new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);
  const declared = declaredNames(code);
  const own = exportedNames(file);
  const folder = file.split('/')[1]!;
  const imports = new Map<string, string[]>();
  const add = (specifier: string, name: string) =>
    imports.set(specifier, [...(imports.get(specifier) ?? []), name]);
  for (const name of used) {
    if (declared.has(name)) continue;
    // Prefer the entry point of the example's own folder, then the core, then any other.
    const entry =
      entryExports.find((e) => e.folder === folder && e.names.has(name)) ??
      entryExports.find((e) => e.names.has(name));
    if (entry) add(entry.specifier, name);
    else if (own.has(name)) add(moduleOf(file), name);
    else if (libExports.has(name) && !contextNames.has(name)) add(moduleOf(libExports.get(name)!), name);
    else if (contextNames.has(name)) add('../example-context.js', name);
    else if (rxjsNames.has(name)) add('rxjs', name);
  }
  const header = [...imports].map(
    ([specifier, names]) => `import { ${names.join(', ')} } from '${specifier}';`,
  );
  // The example's own imports stay at the top; the rest is the body of an async function, as the
  // fragment would be in the reader's handler (so `await` and an early `return` mean what they say).
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true);
  const ownImports = source.statements.filter(ts.isImportDeclaration);
  const bodyStart = ownImports.at(-1)?.end ?? 0;
  return [
    ...header,
    code.slice(0, bodyStart),
    `export async function example(): Promise<void> {\n${code.slice(bodyStart)}\n}`,
  ].join('\n');
}

function tsdocExamples(): Example[] {
  return sourceFiles('lib').flatMap((file) =>
    examplesOf(file, readFileSync(join(projectRoot, file), 'utf8')).map(({ line, code }) => {
      const origin = `${file}:${line}`;
      return { file, origin, code: moduleFor(file, code), fileName: virtualFileName(origin, '.mts') };
    }),
  );
}

describe('TSDoc examples', () => {
  const examples = tsdocExamples();
  // Two broken examples ride along in the same program (one compile of lib/ for all), to show that
  // the check fails on a wrong type and on a name nobody declared.
  const broken = ['coordinator.submit(42);', 'await coordinatr.stop();'].map((code, i) => ({
    origin: `broken:${i}`,
    code: moduleFor('lib/coordinator/write-coordinator.ts', code),
    fileName: virtualFileName(`broken-${i}`, '.mts'),
  }));
  let errors: Map<string, string[]>;

  beforeAll(() => {
    errors = typeCheckSnippets([...examples, ...broken]);
  }, 120_000);

  it('finds every @example in lib/ (each is a ```ts block)', () => {
    const tags = sourceFiles('lib').reduce(
      (count, file) =>
        count + (readFileSync(join(projectRoot, file), 'utf8').match(/@example/g)?.length ?? 0),
      0,
    );
    expect(examples.length).toBe(tags);
    expect(examples.length).toBeGreaterThan(200);
  });

  it('type-checks every example against lib/', () => {
    expect(examples.flatMap((example) => errors.get(example.origin)!)).toEqual([]);
  });

  it('reports an example that does not compile, and a name nobody declared (the check can fail)', () => {
    expect(errors.get('broken:0')).toEqual([
      expect.stringMatching(/Argument of type 'number' is not assignable to parameter of type 'Tick'/),
    ]);
    expect(errors.get('broken:1')).toEqual([expect.stringMatching(/Cannot find name 'coordinatr'/)]);
  });
});
