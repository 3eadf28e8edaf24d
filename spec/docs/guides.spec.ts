import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { packageSources } from '../support/package-sources.js';

// The guides (getting started, testing, FAQ, migrating): every ```ts block is marked `// runnable`,
// runs as written against lib/ and prints exactly the ```text block that follows it; every ```sh
// block is an install command. So a guide cannot teach code that does not work.
const root = resolve(__dirname, '../..');
const GUIDES = ['docs/getting-started.md', 'docs/testing.md', 'docs/faq.md', 'docs/migrating.md'].filter(
  (page) => existsSync(join(root, page)),
);

interface Block {
  readonly language: string;
  readonly body: string;
  readonly index: number;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    language: match[1]!,
    body: match[2]!,
    index: match.index,
  }));
}

interface Snippet {
  readonly title: string;
  readonly code: string;
  readonly output: string;
}

function snippetsOf(markdown: string): Snippet[] {
  const all = blocks(markdown);
  const snippets: Snippet[] = [];
  all.forEach((block, i) => {
    if (block.language !== 'ts') return;
    const heading = [...markdown.slice(0, block.index).matchAll(/^#+ (.*)$/gm)].at(-1)?.[1] ?? '?';
    const count = snippets.filter((s) => s.title.startsWith(heading)).length;
    const next = all[i + 1];
    snippets.push({
      title: count === 0 ? heading : `${heading} (${count + 1})`,
      code: block.body,
      output: next?.language === 'text' ? next.body : '',
    });
  });
  return snippets;
}

describe.each(GUIDES)('%s', (page) => {
  const markdown = readFileSync(join(root, page), 'utf8');
  const snippets = snippetsOf(markdown);

  it('has only runnable TypeScript, each followed by its output, and install commands', () => {
    for (const block of blocks(markdown)) {
      expect(['ts', 'text', 'sh', 'mermaid']).toContain(block.language);
      if (block.language === 'sh') expect(block.body).toMatch(/^(npm install [\w@/ .^~-]+\n)+$/);
    }
    for (const snippet of snippets) {
      expect(snippet.code.startsWith('// runnable\n')).toBe(true);
      expect(snippet.output.trim()).not.toBe('');
    }
  });

  // A page without snippets (the FAQ) has nothing to run; jest refuses an empty table.
  const eachSnippet = snippets.length > 0 ? it.each(snippets.map((s) => [s.title, s] as const)) : null;
  eachSnippet?.(
    'runs the snippet under "%s" and prints what the page shows',
    async (_title, snippet) => {
      // Inside the project, so that better-sqlite3 (native, left out of the bundle) resolves.
      await mkdir(join(root, '.tmp'), { recursive: true });
      const dir = await mkdtemp(join(root, '.tmp', 'guide-'));
      try {
        const outfile = join(dir, 'snippet.mjs');
        await build({
          stdin: { contents: snippet.code, resolveDir: root, loader: 'ts', sourcefile: 'snippet.ts' },
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node20',
          outfile,
          external: ['better-sqlite3', 'pg'],
          plugins: [packageSources],
          logLevel: 'silent',
        });
        const run = spawnSync(process.execPath, [outfile], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout).toBe(snippet.output);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    40_000,
  );
});
