// Builds the library as it was at another commit (its ESM output only), for the scenario that runs
// the same feeds on both builds in one process. The sources come from `git archive`, so no worktree
// is touched; the build lives under node_modules/.cache (so that its `import 'rxjs'` resolves from
// this checkout) and is kept per commit, so that later runs reuse it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The last commit before the coordinator was split into units (0.1's single-file coordinator):
 * the parent of "Coordinator split: WriteCoordinator becomes a facade ...".
 */
export const PRE_SPLIT_COMMIT = '024b95027ac3293dee277ff15233a2effbc6e1f5';

/** The directory of `commit`'s ESM build (its `index.js`), building it first if needed. */
export function referenceBuild(root, commit = PRE_SPLIT_COMMIT) {
  const sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${commit}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  const base = join(root, 'node_modules', '.cache', 'rxjs-backpressure-bench', `ref-${sha.slice(0, 12)}`);
  const dist = join(base, 'src', 'dist', 'esm');
  if (existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'package.json'))) return { sha, dist };
  rmSync(base, { recursive: true, force: true });
  mkdirSync(join(base, 'src'), { recursive: true });
  const tar = execFileSync(
    'git',
    ['-C', root, 'archive', '--format=tar', sha, 'lib', 'tsconfig.base.json', 'tsconfig.build.esm.json'],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  execFileSync('tar', ['-x', '-C', join(base, 'src')], { input: tar });
  // Without a package.json of its own, TypeScript 6 takes the format from this checkout's
  // (`"type": "commonjs"`) and emits CommonJS even under `module: ESNext`.
  writeFileSync(join(base, 'src', 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.esm.json'],
    {
      cwd: join(base, 'src'),
      stdio: 'inherit',
    },
  );
  writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return { sha, dist };
}
