// Checks the packed package as a user gets it: every entry point loads with `require` and with
// `import`, both formats export the same names, and the core entry bundles for the browser without
// any `node:` module.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = Object.keys(pkg.exports).filter((key) => key !== './package.json');
const work = mkdtempSync(join(tmpdir(), 'rxjs-backpressure-pack-'));
let failed = false;
const fail = (message) => {
  failed = true;
  console.error(`check-package: ${message}`);
};

try {
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root })
    .toString()
    .trim()
    .split('\n')
    .pop();
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  execFileSync(
    'npm',
    ['install', '--silent', '--no-audit', '--no-fund', join(work, tarball), join(root, 'node_modules/rxjs')],
    {
      cwd: app,
    },
  );

  for (const entry of entries) {
    const specifier = entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;
    const script = `
      const cjs = require(${JSON.stringify(specifier)});
      import(${JSON.stringify(specifier)}).then((esm) => {
        const a = Object.keys(cjs).filter((k) => k !== 'default' && k !== '__esModule').sort().join();
        const b = Object.keys(esm).filter((k) => k !== 'default' && k !== '__esModule').sort().join();
        if (a !== b) { console.error('CJS exports ' + a + '\\nESM exports ' + b); process.exit(1); }
        if (a.length === 0) { console.error('no exports'); process.exit(1); }
        console.log(${JSON.stringify(specifier)} + ': require and import agree on ' + a.split(',').length + ' exports');
      }, (e) => { console.error(e); process.exit(1); });`;
    try {
      execFileSync('node', ['-e', script], { cwd: app, stdio: 'inherit' });
    } catch {
      fail(`${specifier} does not load the same way with require and import`);
    }
  }

  // What npm users read and debug with: the docs ship, and every source map points at sources that
  // ship too (a map naming a missing file sends a debugger to nothing).
  const installed = join(app, 'node_modules', pkg.name);
  for (const page of ['README.md', 'docs/getting-started.md', 'docs/concepts.md']) {
    if (!existsSync(join(installed, page))) fail(`${page} is not in the package`);
  }
  let maps = 0;
  for (const file of readdirSync(join(installed, 'dist'), { recursive: true })) {
    if (!String(file).endsWith('.map')) continue;
    maps++;
    const map = JSON.parse(readFileSync(join(installed, 'dist', String(file)), 'utf8'));
    for (const source of map.sources) {
      const target = resolve(dirname(join(installed, 'dist', String(file))), map.sourceRoot ?? '', source);
      if (!existsSync(target)) fail(`dist/${file} names ${source}, which is not in the package`);
    }
  }
  console.log(`docs ship; ${maps} source maps, every source they name ships`);

  // The core and the webhook entry must run in a browser: bundle them for that platform, which
  // fails on any `node:` import, and scan the output for one anyway.
  for (const specifier of [pkg.name, `${pkg.name}/webhook`, `${pkg.name}/testing`]) {
    if (!entries.includes(specifier === pkg.name ? '.' : `./${specifier.split('/')[1]}`)) continue;
    const entryFile = join(app, `entry-${specifier.replace(/\W/g, '_')}.mjs`);
    writeFileSync(entryFile, `export * from ${JSON.stringify(specifier)};\n`);
    try {
      const result = await build({
        entryPoints: [entryFile],
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        absWorkingDir: app,
      });
      const code = result.outputFiles[0].text;
      if (/\bfrom\s*["']node:|require\(["']node:/.test(code)) fail(`${specifier} pulls in a node: module`);
      else console.log(`${specifier}: bundles for the browser (${code.length} bytes, no node: module)`);
    } catch (error) {
      fail(`${specifier} does not bundle for the browser: ${error.message}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failed) process.exit(1);
