// Scenario 3: how many depth changes per second `toBackpressureLevel` (scan + distinctUntilChanged)
// turns into levels, against a bare Subject that only forwards them.
import { Bench } from 'tinybench';
import { Subject } from 'rxjs';
import { fmtInt, fmtRate, fmtRatio } from '../harness.mjs';

export const id = 'levels';
export const title = '3. Level derivation: depth changes per second';

const CAPACITY = 10_000;
const BATCH = 10_000; // depths pushed per benchmark iteration

/** A triangle wave 0 .. capacity .. 0 with a step of 7, so every level and both exits are crossed. */
function depths() {
  const out = new Array(BATCH);
  let depth = 0;
  let step = 7;
  for (let i = 0; i < BATCH; i++) {
    depth += step;
    if (depth >= CAPACITY || depth <= 0) step = -step;
    out[i] = Math.max(0, Math.min(CAPACITY, depth));
  }
  return out;
}

export async function run({ lib, quick }) {
  const values = depths();
  let sink = 0;
  const make = (pipeline) => {
    const subject = new Subject();
    (pipeline ? subject.pipe(pipeline) : subject).subscribe(() => sink++);
    return () => {
      for (let i = 0; i < values.length; i++) subject.next(values[i]);
    };
  };
  const bench = new Bench({ time: quick ? 300 : 2_000, warmup: true });
  const tasks = [
    ['toBackpressureLevel', make(lib.toBackpressureLevel(CAPACITY))],
    ['bare Subject', make(null)],
    [
      'nextLevel (no Observable)',
      (() => {
        let level = 'ok';
        const watermarks = lib.resolveWatermarks();
        return () => {
          for (let i = 0; i < values.length; i++) {
            const next = lib.nextLevel(level, values[i] / CAPACITY, watermarks);
            if (next !== level) sink++;
            level = next;
          }
        };
      })(),
    ],
  ];
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  const rates = {};
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state} ${result.error ?? ''}`);
    rates[task.name] = {
      depthsPerSecond: BATCH / (result.latency.p50 / 1000),
      rme: result.latency.rme,
      runs: result.latency.samplesCount,
    };
  }
  const subjectRate = rates['bare Subject'].depthsPerSecond;
  const rows = Object.entries(rates).map(([name, r]) => [
    name,
    fmtRate(r.depthsPerSecond),
    `±${r.rme.toFixed(1)} %`,
    fmtInt(r.runs),
    fmtRatio(r.depthsPerSecond / subjectRate),
  ]);
  return {
    note: `tinybench, ${fmtInt(BATCH)} depths per iteration (a triangle wave over capacity ${fmtInt(CAPACITY)}), median iteration time.`,
    tables: [{ headers: ['pipeline', 'depths / s', 'rme', 'iterations', 'vs bare Subject'], rows }],
    data: { batch: BATCH, capacity: CAPACITY, rates, levelsSeen: sink },
    targets: [],
  };
}
