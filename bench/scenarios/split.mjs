// Scenario 1d: the same feeds on this build and on the build of the last commit before the
// coordinator was split into units (bench/reference-build.mjs), interleaved in one process, so that
// "no throughput regression" is a ratio from one run rather than two runs on a shared machine.
// `--ref=<commit>` compares against another commit instead (e.g. a branch point).
import { runAwaitedSubmit, runSubmitMany, runTrySubmit } from '../feeds.mjs';
import { fmtInt, fmtRatio, interleave, median } from '../harness.mjs';

export const id = 'split';
export const title = '1d. Before and after the coordinator split: the same feeds on both builds';

/** The feeds both builds have (0.1 before the split had no `trySubmit`). */
function feeds(lib, n) {
  const list = [
    { name: 'awaited submit', run: () => runAwaitedSubmit(lib, n) },
    {
      name: 'awaited submit, depth$ subscribed',
      run: () => runAwaitedSubmit(lib, n, { depthSubscriber: true }),
    },
    { name: 'submitMany(500)', run: () => runSubmitMany(lib, n) },
  ];
  if (typeof lib.WriteCoordinator.prototype.trySubmit === 'function') {
    list.push(
      { name: 'trySubmit + ready', run: () => runTrySubmit(lib, n) },
      {
        name: 'trySubmit + ready, level$ subscribed',
        run: () => runTrySubmit(lib, n, { levelSubscriber: true }),
      },
      {
        name: 'trySubmit + ready, depth$ subscribed',
        run: () => runTrySubmit(lib, n, { depthSubscriber: true }),
      },
    );
  }
  return list;
}

/** Runs `run` and returns its wall time and the process's CPU time (user + system), in ms. */
async function timed(run) {
  const cpu = process.cpuUsage();
  const ms = await run();
  const used = process.cpuUsage(cpu);
  return { value: ms, cpuMs: (used.user + used.system) / 1000 };
}

export async function run({ lib, ref, quick }) {
  if (ref === undefined) throw new Error('no reference build: run through bench/run.mjs, which builds one');
  const n = quick ? 200_000 : 1_000_000;
  const rounds = quick ? 3 : 5;
  const theirs = new Map(feeds(ref.lib, n).map((f) => [f.name, f]));
  // Each feed on this build, then on the reference, round after round.
  const list = feeds(lib, n)
    .filter((f) => theirs.has(f.name))
    .flatMap((f) => [
      { ...f, name: `${f.name} (this build)`, feed: f.name },
      { ...theirs.get(f.name), name: `${f.name} (reference)`, feed: f.name },
    ]);
  const cpu = new Map(list.map((v) => [v.name, []]));
  const samples = await interleave(list, rounds, async (v) => timed(v.run), {
    warmup: 1,
    // Both builds timed on warm code, as a service's long-lived coordinator runs (see `interleave`).
    settle: false,
    onSample: (v, sample) => cpu.get(v.name).push(sample.cpuMs),
  });
  const wall = new Map([...samples].map(([name, s]) => [name, s.map((x) => x.value)]));
  const rows = [];
  const ratios = {};
  for (const feed of [...new Set(list.map((v) => v.feed))]) {
    const ours = `${feed} (this build)`;
    const theirsName = `${feed} (reference)`;
    // Per round: the reference's time / this build's time (above 1: this build is faster).
    const paired = (m) => median(m.get(ours).map((ms, i) => m.get(theirsName)[i] / ms));
    ratios[feed] = { wall: paired(wall), cpu: paired(cpu) };
    const ns = (m, name) => `${((median(m.get(name)) * 1e6) / n).toFixed(0)} ns`;
    rows.push([
      feed,
      ns(wall, ours),
      ns(wall, theirsName),
      fmtRatio(ratios[feed].wall),
      ns(cpu, ours),
      ns(cpu, theirsName),
      fmtRatio(ratios[feed].cpu),
    ]);
  }
  const worst = Object.entries(ratios).sort((a, b) => a[1].wall - b[1].wall)[0];
  return {
    note:
      `${fmtInt(n)} items per run, the feeds of scenario 1 (capacity 10 000, batches of 500, 4 workers, \`bus: null\`, counting sink) on this build and on the build of commit ${ref.sha.slice(0, 7)}, ` +
      `each feed on both builds one after the other, ${rounds} interleaved rounds after 1 warm-up round. ` +
      "_ratio_ is the median over rounds of (the reference's time / this build's time) in the same round: above 1 this build is faster. " +
      "_CPU_ is the process's user + system time per item (less sensitive than wall time to a loaded machine, but it includes the collector's and compiler's threads).",
    tables: [
      {
        headers: [
          'feed',
          'this build',
          'reference',
          'ratio',
          'CPU, this build',
          'CPU, reference',
          'CPU ratio',
        ],
        rows,
      },
    ],
    data: {
      n,
      rounds,
      reference: ref.sha,
      ratios,
      samplesMs: Object.fromEntries(wall),
      cpuMs: Object.fromEntries(cpu),
    },
    targets: [
      {
        text: `no throughput regression against the build before the coordinator split (every shared feed >= 1.0x)`,
        measured: `${fmtRatio(worst[1].wall)} (${worst[0]}, the lowest)`,
        pass: worst[1].wall >= 1,
      },
    ],
  };
}
