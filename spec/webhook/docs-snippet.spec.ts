import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { packageSources } from '../support/package-sources.js';

const root = resolve(__dirname, '../..');

describe('docs/webhook.md', () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('has a quick start that runs as written and prints what the docs say', async () => {
    const doc = await readFile(join(root, 'docs/webhook.md'), 'utf8');
    const [, snippet, output] = /## Quick start[\s\S]*?```js\n([\s\S]*?)```[\s\S]*?```\n([\s\S]*?)```/.exec(
      doc,
    )!;
    dir = await mkdtemp(join(tmpdir(), 'rxjs-backpressure-doc-'));
    const outfile = join(dir, 'quick-start.mjs');
    // rxjs is bundled too: one copy inside one file, so nothing needs resolving at run time.
    await build({
      stdin: { contents: snippet!, resolveDir: root, loader: 'js', sourcefile: 'quick-start.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      plugins: [packageSources],
      logLevel: 'silent',
    });
    const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8', timeout: 15_000 });

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(output);
  });
});
