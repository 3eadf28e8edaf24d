import { join, resolve } from 'node:path';
import ts from 'typescript';

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
