// `node bench/report.mjs [bench/results/latest.json]`: prints a saved run as the markdown that
// `npm run bench` printed (docs/benchmarks.md pastes it).
import { readFileSync } from 'node:fs';
import { formatScenario, formatTargets } from './harness.mjs';

const file = process.argv[2] ?? new URL('./results/latest.json', import.meta.url);
const run = JSON.parse(readFileSync(file, 'utf8'));
const { machine } = run;
console.log(
  `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; ` +
    `rxjs ${run.rxjs}, ${Object.entries(run.peers)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}; ${run.date}${run.quick ? ' (QUICK)' : ''}; total ${run.durationSeconds.toFixed(0)} s`,
);
for (const [id, result] of Object.entries(run.results))
  console.log(`\n${formatScenario(id, result).join('\n')}`);
console.log(`\n${formatTargets(run.targets).join('\n')}`);
