// `npm run bench [-- --quick] [-- --only=throughput,levels]`: runs the scenarios against their peers
// in one process, prints markdown tables with ratios, and writes bench/results/latest.json (a quick
// run writes bench/results/quick.json, which is not committed). Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './harness.mjs';
import * as throughput from './scenarios/throughput.mjs';
import * as feedbackOverhead from './scenarios/feedback-overhead.mjs';
import * as levelDerivation from './scenarios/level-derivation.mjs';
import * as transitionLatency from './scenarios/transition-latency.mjs';
import * as memory from './scenarios/memory.mjs';
import * as closedLoop from './scenarios/closed-loop.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SCENARIOS = [throughput, feedbackOverhead, levelDerivation, transitionLatency, memory, closedLoop];

// The memory scenario needs global.gc(); rather than fail, re-run ourselves with the flag.
if (typeof globalThis.gc !== 'function') {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  process.exit(child.status ?? 1);
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : null;
const outArg = args.find((a) => a.startsWith('--out='));
const out = outArg
  ? outArg.slice('--out='.length)
  : join(here, 'results', quick || only ? 'quick.json' : 'latest.json');

// --dist=<dir> points at another build of the ESM output (e.g. a copy being profiled).
const distArg = args.find((a) => a.startsWith('--dist='));
const entry = distArg
  ? join(process.cwd(), distArg.slice('--dist='.length), 'index.js')
  : join(root, 'dist', 'esm', 'index.js');
if (!existsSync(entry)) {
  console.error(
    `${relative(process.cwd(), entry)} is missing: run \`npm run build\` (or \`npm run bench\`, which builds).`,
  );
  process.exit(1);
}
const lib = await import(entry);

const cpuModel = (() => {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line ? line.split(':')[1].trim() : cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model;
  }
})();
const machine = {
  cpus: cpus().length,
  cpuModel,
  memoryGiB: +(totalmem() / 1024 ** 3).toFixed(1),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

console.log(
  `# rxjs-backpressure ${version} benchmarks${quick ? ' (QUICK: reduced counts and durations)' : ''}`,
);
console.log(
  `\n${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`,
);
console.log(`started ${new Date().toISOString()}`);

const started = performance.now();
const results = {};
const targets = [];
for (const scenario of SCENARIOS) {
  if (only && !only.includes(scenario.id)) continue;
  console.log(`\n## ${scenario.title}\n`);
  const t0 = performance.now();
  let result;
  try {
    result = await scenario.run({ lib, quick, log: (line) => console.log(line) });
  } catch (error) {
    console.log(`FAILED: ${error?.stack ?? error}`);
    results[scenario.id] = { error: String(error?.message ?? error) };
    targets.push({ scenario: scenario.id, text: `${scenario.id} ran`, measured: 'error', pass: false });
    continue;
  }
  if (result.note) console.log(`${result.note}\n`);
  for (const t of result.tables) {
    if (t.caption) console.log(`${t.caption}\n`);
    console.log(table(t.headers, t.rows));
    console.log('');
  }
  for (const line of result.footnotes ?? []) console.log(line);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`(${seconds.toFixed(1)} s)`);
  results[scenario.id] = {
    title: scenario.title,
    note: result.note,
    tables: result.tables,
    data: result.data,
    seconds,
  };
  for (const t of result.targets) targets.push({ scenario: scenario.id, ...t });
}

if (targets.length > 0) {
  console.log('\n## Targets (issue 6)\n');
  console.log(
    table(
      ['scenario', 'target', 'measured', 'met'],
      targets.map((t) => [t.scenario, t.text, t.measured, t.pass ? 'yes' : 'NO']),
    ),
  );
}
const durationSeconds = (performance.now() - started) / 1000;
console.log(`\ntotal ${durationSeconds.toFixed(1)} s`);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    { version, date: new Date().toISOString(), quick, only, machine, durationSeconds, results, targets },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${relative(process.cwd(), out)}`);
