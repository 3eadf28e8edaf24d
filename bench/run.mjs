// `npm run bench [-- --quick] [-- --only=feeds,feeds-als,bursts,split,sqlite,feedback,levels,latency,memory,loop,step,fleet,webhook,adaptive,weight]`
// [-- --ref=<commit>] (what `split` compares against; default: the last commit before the coordinator split): runs the
// scenarios against their peers, prints markdown tables with ratios, and writes
// bench/results/latest.json (a quick or partial run writes bench/results/quick.json, not committed).
// Needs the ESM build (`npm run bench` builds first). Each scenario runs in a fresh Node process
// (with --expose-gc), so that one scenario's JIT state and garbage do not weigh on the next.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatScenario, formatTargets } from './harness.mjs';
import { referenceBuild } from './reference-build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SCENARIOS = [
  ['feeds', './scenarios/feeds.mjs'],
  ['feeds-als', './scenarios/feeds-als.mjs'],
  ['bursts', './scenarios/burst-scaling.mjs'],
  ['split', './scenarios/split.mjs'],
  ['sqlite', './scenarios/sqlite.mjs'],
  ['feedback', './scenarios/feedback-overhead.mjs'],
  ['levels', './scenarios/level-derivation.mjs'],
  ['latency', './scenarios/transition-latency.mjs'],
  ['memory', './scenarios/memory.mjs'],
  ['loop', './scenarios/closed-loop.mjs'],
  ['fleet', './scenarios/fleet-latency.mjs'],
  ['step', './scenarios/step-change.mjs'],
  ['webhook', './scenarios/webhook.mjs'],
  ['adaptive', './scenarios/adaptive-workers.mjs'],
  ['weight', './scenarios/weight.mjs'],
];

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.includes('--quick');
const only = option('only')?.split(',') ?? null;
// --dist=<dir> points at another ESM build (e.g. one being profiled); default dist/esm.
const dist = resolve(option('dist') ?? join(root, 'dist', 'esm'));
const entry = join(dist, 'index.js');

const child = option('child');
if (child !== undefined) {
  await runChild(child, option('child-out'));
} else {
  await runAll();
}

/** In a child process: runs one scenario and writes its result as JSON. */
async function runChild(id, out) {
  const [, path] = SCENARIOS.find(([name]) => name === id);
  const scenario = await import(path);
  const lib = await import(entry);
  const libNode = await import(join(dirname(entry), 'node', 'index.js'));
  const libWebhook = await import(join(dirname(entry), 'webhook', 'index.js'));
  // The build the `split` scenario compares against, when the parent built one.
  const refDist = option('ref-dist');
  const ref =
    refDist === undefined
      ? undefined
      : { lib: await import(join(refDist, 'index.js')), sha: option('ref-sha') ?? 'unknown' };
  let result;
  try {
    result = await scenario.run({ lib, libNode, libWebhook, ref, quick, log: (line) => console.log(line) });
  } catch (error) {
    result = { error: String(error?.stack ?? error) };
  }
  writeFileSync(out, JSON.stringify({ title: scenario.title, ...result }));
  // Timers a scenario left behind (a pacing operator's clock) must not keep the child alive.
  process.exit(0);
}

async function runAll() {
  if (unknownScenarios().length > 0) {
    console.error(
      `unknown scenario(s): ${unknownScenarios().join(', ')}; known: ${SCENARIOS.map(([id]) => id).join(', ')}`,
    );
    process.exit(2);
  }
  if (!existsSync(entry)) {
    console.error(
      `${relative(process.cwd(), entry)} is missing: run \`npm run build\` (or \`npm run bench\`, which builds).`,
    );
    process.exit(1);
  }
  // Children import a private copy of the build, so that a rebuild of dist/ during the run (another
  // terminal, a watcher) cannot pull it from under them. It lives under node_modules/.cache so that
  // `import 'rxjs'` still resolves from it.
  const snapshots = join(root, 'node_modules', '.cache', 'rxjs-backpressure-bench');
  mkdirSync(snapshots, { recursive: true });
  const snapshot = mkdtempSync(join(snapshots, 'esm-'));
  cpSync(dist, snapshot, { recursive: true });
  if (!existsSync(join(snapshot, 'package.json')) || !existsSync(join(snapshot, 'index.js'))) {
    rmSync(snapshot, { recursive: true, force: true });
    console.error(
      `${relative(process.cwd(), dist)} is incomplete (a build in progress?): run \`npm run build\` again.`,
    );
    process.exit(1);
  }
  const out = option('out') ?? join(here, 'results', quick || only ? 'quick.json' : 'latest.json');
  const machine = {
    cpus: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const rxjsVersion = JSON.parse(
    readFileSync(join(root, 'node_modules', 'rxjs', 'package.json'), 'utf8'),
  ).version;
  const peers = Object.fromEntries(
    ['p-queue', 'fastq', 'tinybench', 'better-sqlite3'].map((name) => [
      name,
      JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version,
    ]),
  );

  console.log(
    `# rxjs-backpressure ${version} benchmarks${quick ? ' (QUICK: reduced counts and durations)' : ''}`,
  );
  console.log(
    `\n${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; ` +
      `rxjs ${rxjsVersion}, p-queue ${peers['p-queue']}, fastq ${peers.fastq}, tinybench ${peers.tinybench}, better-sqlite3 ${peers['better-sqlite3']}`,
  );
  console.log(`started ${new Date().toISOString()}`);

  const started = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), 'rxbp-bench-'));
  const results = {};
  const targets = [];
  for (const [id] of SCENARIOS) {
    if (only && !only.includes(id)) continue;
    const t0 = performance.now();
    const resultFile = join(scratch, `${id}.json`);
    const childArgs = [
      '--expose-gc',
      fileURLToPath(import.meta.url),
      `--child=${id}`,
      `--child-out=${resultFile}`,
      `--dist=${snapshot}`,
    ];
    if (quick) childArgs.push('--quick');
    if (id === 'split') {
      try {
        const { sha, dist: refDist } = referenceBuild(root, option('ref'));
        childArgs.push(`--ref-dist=${refDist}`, `--ref-sha=${sha}`);
      } catch (error) {
        // No git history (a packed tarball) or a commit that does not build: the scenario says so.
        console.error(`split: no reference build: ${error.message}`);
      }
    }
    const run = spawnSync(process.execPath, childArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
    const seconds = (performance.now() - t0) / 1000;
    let result;
    try {
      result = JSON.parse(readFileSync(resultFile, 'utf8'));
    } catch {
      result = { error: `the child process ended with status ${run.status} and no result` };
    }
    console.log('');
    if (result.error) {
      console.log(formatScenario(id, result).join('\n'));
      results[id] = { error: result.error, seconds };
      targets.push({ scenario: id, text: `${id} runs`, measured: 'error', pass: false });
      continue;
    }
    console.log(formatScenario(id, { ...result, seconds }).join('\n'));
    results[id] = { ...result, seconds };
    for (const t of result.targets) targets.push({ scenario: id, ...t });
  }
  rmSync(scratch, { recursive: true, force: true });
  rmSync(snapshot, { recursive: true, force: true });

  if (targets.length > 0) console.log(`\n${formatTargets(targets).join('\n')}`);
  const durationSeconds = (performance.now() - started) / 1000;
  console.log(`\ntotal ${durationSeconds.toFixed(1)} s`);

  mkdirSync(dirname(out), { recursive: true });
  const report = {
    version,
    date: new Date().toISOString(),
    quick,
    only,
    machine,
    rxjs: rxjsVersion,
    peers,
    durationSeconds,
    results,
    targets,
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${relative(process.cwd(), out)}`);
}

function unknownScenarios() {
  return (only ?? []).filter((id) => !SCENARIOS.some(([name]) => name === id));
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}
