import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as rxjs from 'rxjs';
import ts from 'typescript';
import { ENTRIES } from './package-sources.js';

const root = resolve(__dirname, '../..');

/** One piece of documentation code, as a module the compiler sees under `fileName`. */
export interface CompiledSnippet {
  /** Where the snippet comes from, for messages (`lib/x.ts:12`, `docs/pacing.md:40`). */
  readonly origin: string;
  /** A virtual file name under the project (never written), ending in .ts or .mjs. */
  readonly fileName: string;
  readonly code: string;
}

/** The compiler options of spec/tsconfig.json: strict, NodeNext, the package names mapped to lib/. */
function specOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'spec/tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  })!;
  return { ...parsed.options, noEmit: true, allowJs: true, checkJs: true, noUnusedLocals: false };
}

/**
 * Type-checks the snippets in one program (with `extraFiles`, e.g. ambient declarations) and returns
 * each snippet's errors as `origin (line n): message`, so a failure points at the doc line.
 */
export function typeCheckSnippets(
  snippets: readonly CompiledSnippet[],
  extraFiles: readonly string[] = [],
): Map<string, string[]> {
  const options = specOptions();
  const virtual = new Map(snippets.map((snippet) => [snippet.fileName, snippet]));
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (fileName) => virtual.has(fileName) || fileExists(fileName);
  host.readFile = (fileName) => virtual.get(fileName)?.code ?? readFile(fileName);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const snippet = virtual.get(fileName);
    return snippet
      ? ts.createSourceFile(fileName, snippet.code, languageVersion, true)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram([...virtual.keys(), ...extraFiles], options, host);
  const errors = new Map<string, string[]>(snippets.map((snippet) => [snippet.origin, []]));
  for (const snippet of snippets) {
    const file = program.getSourceFile(snippet.fileName)!;
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    for (const diagnostic of diagnostics) {
      const line =
        diagnostic.start === undefined ? 0 : file.getLineAndCharacterOfPosition(diagnostic.start).line;
      errors
        .get(snippet.origin)!
        .push(
          `${snippet.origin} (line ${line + 1}: ${snippet.code.split('\n')[line]?.trim()}): ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
        );
    }
  }
  return errors;
}

/**
 * A virtual file name inside the project (spec/docs/.snippets/, never written: the host above serves
 * it), so that node_modules and relative imports resolve from there.
 */
export function virtualFileName(name: string, extension: '.ts' | '.mts' | '.mjs'): string {
  return join(root, 'spec/docs/.snippets', name.replace(/[^\w.-]+/g, '_') + extension);
}

export const projectRoot = root;

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

/** The names an entry point (or any module) exports, read from its source. */
function exportedNames(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest);
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

/** The module specifiers a block imports from rxjs-backpressure or rxjs itself. */
const packageImport = /^(rxjs-backpressure(\/.*)?|rxjs)$/;

/**
 * The module the checker compiles for one piece of documentation code: imports for the names it
 * uses but does not declare, then the code as written, as the body of an async function (as the
 * fragment would be in the reader's handler: `await` and an early `return` mean what they say).
 *
 * - A fragment (no imports of its own from the package or rxjs) gets the package's and rxjs' names
 *   it uses; given `file`, the lib/ file it documents, also that file's and other lib/ files'
 *   exports (the examples of internal symbols).
 * - A block that imports from the package or rxjs must import all it uses from them: it is shown
 *   as a whole program, so a missing import is an error.
 * - Either way, what the reader's own program provides comes from spec/docs/example-context.ts.
 */
export function moduleFor(code: string, file?: string): string {
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true);
  const ownImports = source.statements.filter(ts.isImportDeclaration);
  const complete = ownImports.some(
    (declaration) =>
      ts.isStringLiteral(declaration.moduleSpecifier) && packageImport.test(declaration.moduleSpecifier.text),
  );
  const used = new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);
  const declared = declaredNames(code);
  const own = file === undefined ? new Set<string>() : exportedNames(file);
  const folder = file?.split('/')[1];
  const imports = new Map<string, string[]>();
  const add = (specifier: string, name: string) =>
    imports.set(specifier, [...(imports.get(specifier) ?? []), name]);
  for (const name of used) {
    if (declared.has(name)) continue;
    // Prefer the entry point of the example's own folder, then the core, then any other.
    const entry = complete
      ? undefined
      : (entryExports.find((e) => e.folder === folder && e.names.has(name)) ??
        entryExports.find((e) => e.names.has(name)));
    if (entry) add(entry.specifier, name);
    else if (file !== undefined && own.has(name)) add(moduleOf(file), name);
    else if (file !== undefined && libExports.has(name) && !contextNames.has(name))
      add(moduleOf(libExports.get(name)!), name);
    else if (contextNames.has(name)) add('../example-context.js', name);
    else if (!complete && rxjsNames.has(name)) add('rxjs', name);
  }
  const header = [...imports].map(
    ([specifier, names]) => `import { ${names.join(', ')} } from '${specifier}';`,
  );
  const bodyStart = ownImports.at(-1)?.end ?? 0;
  // A block that exports is a module as shown: it stays one (top-level await works in .mts).
  const exports = source.statements.some(
    (statement) =>
      ts.canHaveModifiers(statement) &&
      (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword),
  );
  if (exports) return [...header, code].join('\n');
  return [
    ...header,
    code.slice(0, bodyStart),
    `export async function example(): Promise<void> {\n${code.slice(bodyStart)}\n}`,
  ].join('\n');
}

/** The .ts files under `dir` (relative to the project), recursively. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}
