import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { packageSources } from '../support/package-sources.js';

// docs/node-and-resilience.md: every ```ts snippet whose first line is `// runnable` runs as written
// against lib/ and prints exactly the ```text block that follows it.
const root = resolve(__dirname, '../..');

interface Snippet {
  readonly title: string;
  readonly code: string;
  readonly output: string;
  /** Variables from a `// $ NAME=value ... node app.mjs` line, as the snippet's environment. */
  readonly env: Record<string, string>;
}

function runnableSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const fence = /^```ts\n(\/\/ runnable\n[\s\S]*?)^```\n[^`]*?^```text\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const [, code, output] = match as unknown as [string, string, string];
    const heading = [...markdown.slice(0, match.index).matchAll(/^#+ (.*)$/gm)].at(-1)?.[1] ?? '?';
    const count = snippets.filter((s) => s.title.startsWith(heading)).length;
    const command = /^\/\/ \$ ((?:[A-Z_]+=\S+ )+)node /m.exec(code)?.[1] ?? '';
    const env = Object.fromEntries(
      command
        .trim()
        .split(/\s+/)
        .filter((pair) => pair !== '')
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    );
    snippets.push({ title: count === 0 ? heading : `${heading} (${count + 1})`, code, output, env });
  }
  return snippets;
}

const doc = readFileSync(join(root, 'docs/node-and-resilience.md'), 'utf8');
const snippets = runnableSnippets(doc);

// The environment of the test run, without settings that would change what a snippet reads.
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(BACKPRESSURE|ORDERS)_/.test(name)),
);

describe('docs/node-and-resilience.md', () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('marks the FileDeadLetterQueue, environment and building-block snippets runnable', () => {
    const titles = snippets.map((s) => s.title);
    expect(titles).toEqual([
      'Resubmitting into a coordinator',
      'Crash safety and the torn last line',
      'coordinatorOptionsFromEnv',
      'coordinatorOptionsFromEnv (2)',
      'Retries',
      'CircuitBreaker',
      'MemoryDeadLetterQueue',
    ]);
    // A runnable snippet without an output block after it would be skipped silently.
    expect(doc.match(/^```ts\n\/\/ runnable$/gm)).toHaveLength(snippets.length);
    expect(snippets.every((s) => s.output.trim() !== '')).toBe(true);
    expect(snippets[2]!.env).toEqual({
      BACKPRESSURE_CAPACITY: '20000',
      BACKPRESSURE_OVERFLOW: 'reject',
      BACKPRESSURE_RETRY_MAX_ATTEMPTS: '3',
      BACKPRESSURE_CIRCUIT_BREAKER: 'false',
    });
  });

  it.each(snippets.map((s) => [s.title, s] as const))(
    'runs the snippet under "%s" and prints what the page shows',
    async (_title, snippet) => {
      dir = await mkdtemp(join(tmpdir(), 'rxjs-backpressure-doc-'));
      const outfile = join(dir, 'snippet.mjs');
      // rxjs is bundled too: one copy inside one file, so nothing needs resolving at run time.
      await build({
        stdin: { contents: snippet.code, resolveDir: root, loader: 'ts', sourcefile: 'snippet.ts' },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        outfile,
        plugins: [packageSources],
        logLevel: 'silent',
      });
      const run = spawnSync(process.execPath, [outfile], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 15_000,
        env: { ...baseEnv, ...snippet.env },
      });

      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(snippet.output);
    },
    20_000,
  );
});
