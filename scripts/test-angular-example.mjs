// Runs examples/angular (its own npm project: Angular 21 needs TypeScript 5.9) against the package
// as users get it: packs the built library, installs its dependencies from the example's lockfile
// and the tarball, type-checks the app (templates included) and runs its TestBed specs, zoneless
// and with zone.js. Run after `npm run build`; `npm test` does.
//
// Outside CI the example's `npm ci` is skipped when its node_modules was installed from the same
// lockfile (a stamp records the lockfile's hash), which saves about half a minute; the tarball is
// installed every time. Under CI=true it always runs `npm ci`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const example = join(root, 'examples/angular');
const lockfile = join(example, 'package-lock.json');
const stamp = join(example, 'node_modules/.installed-from-lockfile');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const started = performance.now();

const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const step = (what) => console.log(`angular example (${seconds()} s): ${what}`);
class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};
const run = (command, args, cwd = example) => {
  try {
    execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, npm_config_fund: 'false' } });
  } catch {
    fail(`\`${[command, ...args].join(' ')}\` in ${cwd} exited with an error (see above)`);
  }
};
const hashOf = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

const work = mkdtempSync(join(tmpdir(), 'rxjs-backpressure-angular-'));
try {
  for (const built of ['dist/esm/index.js', 'dist/cjs/index.js']) {
    if (!existsSync(join(root, built)))
      fail(`expected the built package (${built}), found none: run npm run build`);
  }
  const tarball = join(
    work,
    execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root })
      .toString()
      .trim()
      .split('\n')
      .pop(),
  );
  step(`packed ${tarball}`);

  const lockHash = hashOf(lockfile);
  if (ci || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash) {
    step('npm ci');
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
    writeFileSync(stamp, lockHash);
  } else {
    step('dependencies already installed from this lockfile (npm ci skipped outside CI)');
  }

  step('installing the packed library');
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball]);
  if (hashOf(lockfile) !== lockHash)
    fail('installing the tarball changed examples/angular/package-lock.json');
  const installed = join(example, 'node_modules/rxjs-backpressure');
  if (lstatSync(installed).isSymbolicLink())
    fail(`expected ${installed} unpacked from the tarball, found a link`);
  const version = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version;
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (version !== ours) fail(`expected rxjs-backpressure ${ours} installed, found ${version}`);

  step('type-checking the app and its specs (ngc, strict templates)');
  run('npm', ['run', '--silent', 'typecheck']);
  step('TestBed specs, zoneless and with zone.js');
  run('npx', ['jest', '--ci']);
  step('passed');
} catch (error) {
  console.error(`\nangular example FAILED: ${error instanceof Failure ? error.message : error.stack}\n`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
