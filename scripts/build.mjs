// Builds the dual package: ESM into dist/esm and CommonJS into dist/cjs, each with its own
// package.json so Node reads every .js file (and its .d.ts) in the right module format.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const tsc = (project) => execFileSync('npx', ['tsc', '-p', project], { stdio: 'inherit' });
tsc('tsconfig.build.esm.json');
tsc('tsconfig.build.cjs.json');
for (const [dir, type] of [
  ['dist/esm', 'module'],
  ['dist/cjs', 'commonjs'],
]) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type }) + '\n');
}
console.log('built dist/esm and dist/cjs');
