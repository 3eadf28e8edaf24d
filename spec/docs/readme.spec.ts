import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The README's example must run as written. `npm test` builds before jest, so the example runs
// against dist/ exactly as a user's code runs against the published package.
const root = resolve(__dirname, '../..');

function codeBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm');
  for (const match of markdown.matchAll(fence)) blocks.push(match[1]!);
  return blocks;
}

describe('README', () => {
  it('has a first example that runs, pauses the producer at hard and refuses nothing', () => {
    const [example] = codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'), 'js');
    expect(example).toContain("from 'rxjs-backpressure'");
    // A folder inside the project, so that `rxjs` resolves from its node_modules.
    const dir = mkdtempSync(join(root, '.tmp-readme-'));
    try {
      const file = join(dir, 'first-example.mjs');
      writeFileSync(
        file,
        example!.replaceAll("from 'rxjs-backpressure'", `from '${join(root, 'dist/esm/index.js')}'`),
      );
      // The example runs about 4 s on its own; the bound is generous for a loaded machine (the
      // checks below are about what it printed, never how long it took).
      const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const lines = run.stdout.trim().split('\n');
      expect(lines.slice(0, 3)).toEqual(['level: ok', 'level: soft', 'level: hard']);
      // Paced, the level goes back and forth (hard, soft, hard, ...) rather than sticking.
      expect(lines.filter((line) => line === 'level: hard').length).toBeGreaterThanOrEqual(2);
      expect(run.stdout).not.toContain('refused:');
      expect(lines.at(-1)).toBe('written 4000, refused 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
