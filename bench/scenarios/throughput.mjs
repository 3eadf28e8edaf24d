// Scenario 1: throughput of one-`await`-at-a-time submission against the peers users would pick.
import { runArrayQueue, runFastq, runPQueue, runWritable } from '../peers.mjs';
import { runCoordinator } from '../coordinator-runs.mjs';
import { fmtInt, fmtMs, fmtRate, fmtRatio, interleave, median } from '../harness.mjs';

export const id = 'throughput';
export const title = '1. Throughput: one `await` per item, bounded at 10 000';

export async function run({ lib, quick }) {
  const n = quick ? 200_000 : 1_000_000;
  const warmup = quick ? 2 : 1;
  const rounds = quick ? 7 : 9;
  const variants = [
    { name: 'WriteCoordinator', run: () => runCoordinator(lib, n, 'listener'), ours: true },
    { name: 'p-queue', run: () => runPQueue(n) },
    { name: 'fastq (promise)', run: () => runFastq(n) },
    { name: 'Node Writable (writev)', run: () => runWritable(n) },
    { name: 'array queue (floor)', run: () => runArrayQueue(n) },
  ];
  const samples = await interleave(
    variants,
    rounds,
    async (v) => {
      const result = await v.run();
      return typeof result === 'number' ? result : result.value;
    },
    { warmup },
  );
  const rows = [];
  const data = { n, rounds, variants: {} };
  const rate = (name) => n / (median(samples.get(name)) / 1000);
  const hasOurs = variants.some((v) => v.ours);
  // Ours against a peer: the median over rounds of the ratio within each round, so that a round
  // slowed by a neighbour counts once instead of skewing one side's median.
  const perRound = (name) => samples.get(name).map((ms, i) => ms / samples.get('WriteCoordinator')[i]);
  const ratio = (name) => (hasOurs ? median(perRound(name)) : NaN);
  for (const v of variants) {
    const ms = samples.get(v.name);
    const r = rate(v.name);
    const rates = ms.map((m) => n / (m / 1000));
    data.variants[v.name] = {
      medianMs: median(ms),
      itemsPerSecond: r,
      samplesMs: ms,
      ratioOursToThis: ratio(v.name),
      ratiosPerRound: hasOurs ? perRound(v.name) : [],
    };
    rows.push([
      v.name,
      fmtMs(median(ms)),
      fmtRate(r),
      `${(1e9 / r).toFixed(0)} ns`,
      `${fmtRate(Math.min(...rates))} – ${fmtRate(Math.max(...rates))}`,
      v.ours ? '1.00x' : hasOurs ? fmtRatio(ratio(v.name)) : '-',
      v.ours || !hasOurs
        ? '-'
        : `${fmtRatio(Math.min(...perRound(v.name)))} – ${fmtRatio(Math.max(...perRound(v.name)))}`,
    ]);
  }
  const targets = [];
  if (hasOurs) {
    const vsPQueue = ratio('p-queue');
    const vsWritable = ratio('Node Writable (writev)');
    targets.push(
      { text: 'coordinator >= 10x p-queue', measured: fmtRatio(vsPQueue), pass: vsPQueue >= 10 },
      { text: 'coordinator >= 0.3x Node Writable', measured: fmtRatio(vsWritable), pass: vsWritable >= 0.3 },
    );
  }
  return {
    note: `${fmtInt(n)} items per run, ${rounds} interleaved rounds after ${warmup} warm-up round(s); medians; ours / this is the median of the per-round ratios.`,
    tables: [
      {
        headers: [
          'variant',
          'median time',
          'median rate',
          'per item',
          'range (rate)',
          'ours / this',
          'range (ours / this)',
        ],
        rows,
      },
    ],
    data,
    targets,
  };
}
