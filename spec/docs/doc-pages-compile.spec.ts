import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  moduleFor,
  projectRoot,
  typeCheckSnippets,
  virtualFileName,
  type CompiledSnippet,
} from '../support/compile-snippets.js';

// Every code block of README.md and docs/*.md is checked, so a page cannot teach code that does not
// compile:
// - every ```ts block is type-checked against lib/ (those marked `// runnable` are also run, with
//   their output compared, by guides.spec.ts and node-and-resilience.spec.ts). A block with imports
//   from the package or rxjs must import everything it uses from them; a fragment gets them, and
//   what the reader's own program provides (`db`, `coordinator`, ...) is declared in
//   spec/docs/example-context.ts, as for the TSDoc examples.
// - an Angular block (TypeScript 5.9 and Angular's compiler, which this project does not carry)
//   names on its first line the file of examples/angular it is taken from, and must be an excerpt of
//   it: its lines of code appear there in order (comments are the page's own; lines may be left
//   out). `npm run test:angular`
//   compiles that file with ngc and strict templates.
// - the ```js blocks are programs that specs run: README's first example (readme.spec.ts) and the
//   webhook quick start (spec/webhook/docs-snippet.spec.ts).
const PAGES = [
  'README.md',
  ...readdirSync(join(projectRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const ANGULAR_SOURCE = /^\/\/ (examples\/angular\/src\/\S+\.ts)( \(excerpt\))?\n/;

interface Block {
  readonly page: string;
  readonly line: number;
  readonly language: string;
  readonly code: string;
}

function blocksOf(page: string): Block[] {
  const markdown = readFileSync(join(projectRoot, page), 'utf8');
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    page,
    line: markdown.slice(0, match.index).split('\n').length,
    language: match[1]!,
    code: match[2]!,
  }));
}

const blocks = PAGES.flatMap(blocksOf);
const isAngular = (block: Block) =>
  /from '@angular\//.test(block.code) || /^@(Injectable|Component)\(/m.test(block.code);
const typescript = blocks.filter((block) => block.language === 'ts' && !isAngular(block));
const angular = blocks.filter((block) => block.language === 'ts' && isAngular(block));

/** A line without indentation and without a trailing or whole-line `// comment` (the page's own). */
const codeOf = (line: string) => line.replace(/(^|\s+)\/\/ .*$/, '').trim();

/** What an Angular block gets wrong as an excerpt of the file it names. */
function excerptProblems(block: Block): string[] {
  const origin = `${block.page}:${block.line}`;
  const source = ANGULAR_SOURCE.exec(block.code)?.[1];
  if (source === undefined) return [`${origin}: names no examples/angular file on its first line`];
  const file = readFileSync(join(projectRoot, source), 'utf8').split('\n').map(codeOf);
  let at = 0;
  for (const line of block.code.split('\n').slice(1)) {
    const wanted = codeOf(line);
    if (wanted === '') continue;
    const found = file.indexOf(wanted, at);
    if (found === -1) return [`${origin}: "${wanted}" is not in ${source} (after line ${at})`];
    at = found + 1;
  }
  return [];
}

describe('code blocks of README.md and docs/', () => {
  const snippets: CompiledSnippet[] = typescript.map((block) => {
    const origin = `${block.page}:${block.line}`;
    return { origin, code: moduleFor(block.code), fileName: virtualFileName(origin, '.mts') };
  });
  let errors: Map<string, string[]>;

  beforeAll(() => {
    errors = typeCheckSnippets(snippets);
  }, 300_000);

  it('finds the TypeScript blocks of every page', () => {
    expect(typescript.length).toBeGreaterThanOrEqual(50);
    for (const page of ['docs/concepts.md', 'docs/coordinator.md', 'docs/pacing.md', 'docs/fleet.md'])
      expect(typescript.some((block) => block.page === page)).toBe(true);
  });

  it('type-checks every ```ts block against lib/', () => {
    expect(snippets.flatMap((snippet) => errors.get(snippet.origin)!)).toEqual([]);
  });

  it('takes every Angular block from examples/angular, line for line', () => {
    expect(angular.length).toBeGreaterThanOrEqual(2);
    expect(angular.flatMap(excerptProblems)).toEqual([]);
  });

  it('catches an Angular block that is not in the file it names (the check can fail)', () => {
    const code = [
      '// examples/angular/src/app/ingest.service.ts (excerpt)',
      'export class IngestService implements OnDestroy {',
      '  nowhere = 1; // a comment of the page',
    ].join('\n');
    expect(excerptProblems({ page: 'x.md', line: 1, language: 'ts', code })).toEqual([
      expect.stringMatching(
        /^x\.md:1: "nowhere = 1;" is not in examples\/angular\/src\/app\/ingest\.service\.ts/,
      ),
    ]);
    expect(
      excerptProblems({ page: 'x.md', line: 1, language: 'ts', code: code.split('\n').slice(1).join('\n') }),
    ).toEqual(['x.md:1: names no examples/angular file on its first line']);
  });

  it('has only the ```js programs that specs run', () => {
    const js = blocks.filter((block) => block.language === 'js' || block.language === 'javascript');
    expect(js.map((block) => block.page)).toEqual(['README.md', 'docs/webhook.md']);
    expect(js[0]!.code).toBe(
      /^```js\n([\s\S]*?)^```$/m.exec(readFileSync(join(projectRoot, 'README.md'), 'utf8'))![1],
    );
    expect(js[1]!.code).toContain("import { HttpFeedbackBroadcaster } from 'rxjs-backpressure/webhook';");
  });
});
