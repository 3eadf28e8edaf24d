// Checks the packed package as a user gets it: every entry point loads with `require` and with
// `import`, both formats export the same names, and the core entry bundles for the browser without
// any `node:` module. The optional peers (Redis and NATS clients) are not installed at first, which
// proves that no other entry needs them; they are installed afterwards for the entries that use them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve('.');
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = Object.keys(pkg.exports).filter((key) => key !== './package.json');
// Entries that import an optional peer at run time, and the peers they need.
const NEEDS_PEERS = { './nats': ['@nats-io/kv', '@nats-io/transport-node'] };
const OPTIONAL_PEERS = Object.keys(pkg.peerDependenciesMeta ?? {}).filter(
  (name) => pkg.peerDependenciesMeta[name].optional,
);
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

  const checkLoads = (entry) => {
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
  };

  // Without the optional peers: every entry but those that need one loads, and none of them
  // bundles in (or even tries to import) a peer.
  for (const entry of entries) {
    if (entry in NEEDS_PEERS) continue;
    checkLoads(entry);
    const specifier = entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`;
    try {
      const result = await build({
        stdin: { contents: `export * from ${JSON.stringify(specifier)};`, resolveDir: app },
        bundle: true,
        platform: 'node',
        format: 'esm',
        write: false,
        metafile: true,
        logLevel: 'silent',
        external: ['rxjs'],
        absWorkingDir: app,
      });
      const inputs = Object.keys(result.metafile.inputs);
      const peers = OPTIONAL_PEERS.filter((peer) => inputs.some((i) => i.includes(`node_modules/${peer}/`)));
      if (peers.length > 0) fail(`${specifier} pulls in the optional peer(s) ${peers.join(', ')}`);
      else console.log(`${specifier}: imports no optional peer (${OPTIONAL_PEERS.join(', ')})`);
    } catch (error) {
      fail(`${specifier} needs something that is not installed: ${error.message}`);
    }
  }

  // With the optional peers installed (from this project's node_modules), the rest load too.
  const needed = [...new Set(Object.values(NEEDS_PEERS).flat())];
  execFileSync(
    'npm',
    [
      'install',
      '--silent',
      '--no-audit',
      '--no-fund',
      ...needed.map((peer) => join(root, 'node_modules', peer)),
    ],
    { cwd: app },
  );
  for (const entry of Object.keys(NEEDS_PEERS)) if (entries.includes(entry)) checkLoads(entry);

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
