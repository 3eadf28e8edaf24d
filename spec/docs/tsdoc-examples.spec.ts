import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  moduleFor,
  projectRoot,
  sourceFiles,
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
interface Example extends CompiledSnippet {
  readonly file: string;
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

function tsdocExamples(): Example[] {
  return sourceFiles('lib').flatMap((file) =>
    examplesOf(file, readFileSync(join(projectRoot, file), 'utf8')).map(({ line, code }) => {
      const origin = `${file}:${line}`;
      return { file, origin, code: moduleFor(code, file), fileName: virtualFileName(origin, '.mts') };
    }),
  );
}

describe('TSDoc examples', () => {
  const examples = tsdocExamples();
  // Two broken examples ride along in the same program (one compile of lib/ for all), to show that
  // the check fails on a wrong type and on a name nobody declared.
  const broken = ['coordinator.submit(42);', 'await coordinatr.stop();'].map((code, i) => ({
    origin: `broken:${i}`,
    code: moduleFor(code, 'lib/coordinator/write-coordinator.ts'),
    fileName: virtualFileName(`broken-${i}`, '.mts'),
  }));
  let errors: Map<string, string[]>;

  beforeAll(() => {
    errors = typeCheckSnippets([...examples, ...broken]);
  }, 300_000);

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
