// Checks the packed package as a user gets it: every entry point loads with `require` and with
// `import`, both formats export the same names, and the core entry bundles for the browser without
// any `node:` module. The optional peers (Redis and NATS clients, prom-client, @opentelemetry/api)
// are not installed at first, which proves that no other entry needs them: an app without them loads
// every other entry, and each entry that needs one fails naming it. They are installed afterwards
// for the entries that use them.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
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
// Entry points that import an optional peer at run time, and the peers they need. (The Redis entry
// takes the user's client and imports neither Redis library.)
const NEEDS_PEERS = {
  './nats': ['@nats-io/kv', '@nats-io/transport-node'],
  './prometheus': ['prom-client'],
  './otel': ['@opentelemetry/api'],
};
const OPTIONAL_PEERS = Object.keys(pkg.peerDependenciesMeta ?? {}).filter(
  (name) => pkg.peerDependenciesMeta[name].optional,
);
// Libraries no other entry may even name (a lazy `import('prom-client')` would slip past a bundle).
const NEVER_NAMED = ['prom-client', '@opentelemetry/api'];
const specifierOf = (entry) => (entry === '.' ? pkg.name : `${pkg.name}/${entry.slice(2)}`);
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

  const loads = (entry) => {
    const specifier = specifierOf(entry);
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

  // The app has rxjs only: every entry but those needing a peer loads, and each of those fails naming
  // a peer it needs.
  for (const entry of entries.filter((e) => !(e in NEEDS_PEERS))) loads(entry);
  for (const [entry, peers] of Object.entries(NEEDS_PEERS)) {
    if (!entries.includes(entry)) {
      fail(`package.json exports lacks ${entry}`);
      continue;
    }
    const run = spawnSync('node', ['-e', `require(${JSON.stringify(specifierOf(entry))})`], {
      cwd: app,
      encoding: 'utf8',
    });
    if (run.status === 0) fail(`${specifierOf(entry)} loads without ${peers.join(', ')} installed`);
    else if (!peers.some((peer) => run.stderr.includes(`Cannot find module '${peer}'`)))
      fail(`${specifierOf(entry)} without ${peers.join(', ')} fails for another reason:\n${run.stderr}`);
    else console.log(`${specifierOf(entry)}: without ${peers.join(', ')} installed, fails naming it`);
  }

  // No other entry imports an optional peer: bundling it for Node, with the peers absent from the
  // app, succeeds, pulls in none of them, and names neither metrics library.
  for (const entry of entries.filter((e) => !(e in NEEDS_PEERS))) {
    const specifier = specifierOf(entry);
    const entryFile = join(app, `node-entry-${specifier.replace(/\W/g, '_')}.mjs`);
    writeFileSync(entryFile, `export * from ${JSON.stringify(specifier)};\n`);
    try {
      const result = await build({
        entryPoints: [entryFile],
        bundle: true,
        platform: 'node',
        format: 'esm',
        external: ['rxjs'],
        write: false,
        metafile: true,
        logLevel: 'silent',
        absWorkingDir: app,
      });
      const inputs = Object.keys(result.metafile.inputs);
      const pulled = OPTIONAL_PEERS.filter((peer) => inputs.some((i) => i.includes(`node_modules/${peer}/`)));
      const code = result.outputFiles[0].text;
      const named = NEVER_NAMED.filter((peer) => code.includes(peer));
      if (pulled.length > 0) fail(`${specifier} pulls in the optional peer(s) ${pulled.join(', ')}`);
      else if (named.length > 0) fail(`${specifier} refers to ${named.join(' and ')}`);
      else console.log(`${specifier}: imports no optional peer (${OPTIONAL_PEERS.join(', ')})`);
    } catch (error) {
      fail(`${specifier} does not bundle without the optional peers: ${error.message}`);
    }
  }

  // With the peers installed, the entries that need them load with require and import. (Installed
  // from this tree's node_modules; --ignore-scripts: a package folder would otherwise run its own
  // `prepare`.)
  const needed = [...new Set(Object.values(NEEDS_PEERS).flat())];
  execFileSync(
    'npm',
    [
      'install',
      '--ignore-scripts',
      '--silent',
      '--no-audit',
      '--no-fund',
      ...needed.map((peer) => join(root, 'node_modules', peer)),
    ],
    { cwd: app },
  );
  for (const entry of Object.keys(NEEDS_PEERS).filter((e) => entries.includes(e))) loads(entry);

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

  // The declarations must compile in a strict consumer without @types/node (a browser or Angular
  // app): lib ES2022 alone or with DOM, skipLibCheck false, types []. Errors inside rxjs's own
  // typings (which need DOM or Node timers) are rxjs's; errors in this package's files fail.
  const typesApp = join(work, 'types-app');
  mkdirSync(typesApp);
  writeFileSync(
    join(typesApp, 'package.json'),
    JSON.stringify({ name: 'types-app', private: true, type: 'module' }),
  );
  execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', 'typescript@~5.9.3'], {
    cwd: typesApp,
  });
  const compilers = [
    ['TypeScript 5.9', join(typesApp, 'node_modules/typescript/bin/tsc')],
    ['TypeScript 6.0', join(root, 'node_modules/typescript/bin/tsc')],
  ];
  const consumer = (
    dom,
  ) => `import { WriteCoordinator, feedbackBus, toWritableStream, type WriteContext } from 'rxjs-backpressure';
import { createTestScheduler } from 'rxjs-backpressure/testing';
${dom ? "import { HttpFeedbackBroadcaster } from 'rxjs-backpressure/webhook';\n" : ''}
declare const db: { insert(rows: readonly number[], options: { signal: WriteContext['signal'] }): Promise<number> };
const coordinator = new WriteCoordinator<number>({ sink: (batch, { signal }) => db.insert(batch, { signal }) });
void coordinator.submit(1);
feedbackBus().subscribe((event) => void event.level);
void createTestScheduler;
const stream = toWritableStream(coordinator);
void stream;
${
  // With a streams lib the chunk type is kept: a WritableStream<number>, not one of strings.
  dom
    ? 'const numbers: WritableStream<number> = stream;\nvoid numbers;\n// @ts-expect-error a stream of numbers is not a stream of strings\nconst strings: WritableStream<string> = stream;\nvoid strings;\n'
    : ''
}${dom ? "void new HttpFeedbackBroadcaster({ url: 'https://example.test/feedback' });\nfetch('/x', { signal: new AbortController().signal }).catch(() => undefined);\n" : ''}
export {};
`;
  for (const lib of [['ES2022'], ['ES2022', 'DOM']]) {
    const dir = join(typesApp, lib.join('-').toLowerCase());
    mkdirSync(dir);
    const dom = lib.includes('DOM');
    writeFileSync(join(dir, 'consumer.ts'), consumer(dom));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          types: [],
          noEmit: true,
        },
        files: ['consumer.ts'],
      }),
    );
    // Resolve the package and rxjs from the app where the tarball is installed.
    cpSync(join(app, 'node_modules'), join(dir, 'node_modules'), { recursive: true });
    for (const [name, tsc] of compilers) {
      let output = '';
      try {
        execFileSync('node', [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, stdio: 'pipe' });
      } catch (error) {
        output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
      }
      const ours = output
        .split('\n')
        .filter((line) => line.includes('rxjs-backpressure/') || line.startsWith('consumer.ts'));
      if (ours.length > 0)
        fail(`${name}, lib ${lib.join('+')}: this package's types do not compile:\n${ours.join('\n')}`);
      else
        console.log(
          `${name}, lib ${lib.join('+')}, strict, skipLibCheck false, types []: no error in this package's declarations`,
        );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failed) process.exit(1);
