import ts from 'typescript';
import { resolve } from 'node:path';

// Every exported symbol of every entry point carries TSDoc with an @example: the house rule for the
// public API, checked here so that a new export cannot slip in undocumented.
const root = resolve(__dirname, '../..');
const entries = [
  'lib/index.ts',
  'lib/testing/index.ts',
  'lib/webhook/index.ts',
  'lib/node/index.ts',
  'lib/redis/index.ts',
  'lib/nats/index.ts',
  'lib/prometheus/index.ts',
  'lib/otel/index.ts',
];

function undocumented(): string[] {
  const program = ts.createProgram(
    entries.map((entry) => resolve(root, entry)),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const entry of entries) {
    const file = program.getSourceFile(resolve(root, entry))!;
    const module = checker.getSymbolAtLocation(file)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const hasExample = (symbol.getDeclarations() ?? []).some((declaration) =>
        ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'example'),
      );
      if (!hasExample) missing.push(`${entry}: ${exported.name}`);
    }
  }
  return missing;
}

describe('public API documentation', () => {
  it('gives every exported symbol TSDoc with an @example', () => {
    expect(undocumented()).toEqual([]);
  });
});
