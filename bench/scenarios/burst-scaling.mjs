// Scenario 1c: what a value costs `submitTo` when values arrive in bursts (as `pauseWhile` releases
// them), against the recipe it replaces, `mergeMap((x) => coordinator.submit(x))`.
import { Subject, mergeMap } from 'rxjs';
import { checkCount } from '../peers.mjs';
import { fmtInt, fmtRatio, interleave, median, now, tick } from '../harness.mjs';

export const id = 'bursts';
export const title = '1c. Burst scaling: cost per value of bursts released at once';

const BURSTS = [10, 1_000, 10_000];
const CAPACITY = 20_000;

/** Emits `n` values into `operator` in synchronous bursts; returns the time spent per value, in ns. */
async function runBursts(lib, n, burst, recipe) {
  let count = 0;
  const c = new lib.WriteCoordinator({
    id: `bursts-${Math.random().toString(36).slice(2)}`,
    sink: (batch) => {
      count += batch.length;
    },
    capacity: CAPACITY,
    batchSize: 500,
    workers: 4,
    flushIntervalMs: 0,
    bus: null,
  });
  c.start();
  const source = new Subject();
  let settled = 0;
  const operator = recipe === 'submitTo' ? lib.submitTo(c) : mergeMap((x) => c.submit(x));
  source.pipe(operator).subscribe({ next: () => settled++ });
  let busy = 0;
  let v = 0;
  while (v < n) {
    // Room for a whole burst first, outside the timed part, so that no burst waits for the sink.
    while (c.health().queueSize + c.health().inFlight > CAPACITY - burst) await tick();
    const t0 = now();
    const end = Math.min(n, v + burst);
    while (v < end) source.next(v++);
    if (recipe === 'mergeMap') while (settled < v) await null; // its inner subscriptions settle later
    busy += now() - t0;
  }
  source.complete();
  await c.stop({ drain: true });
  checkCount(`${recipe} bursts of ${burst}`, count, n);
  return (busy * 1e6) / n;
}

export async function run({ lib, quick }) {
  const n = quick ? 100_000 : 1_000_000;
  const nMergeMap = quick ? 20_000 : 50_000;
  const rounds = 3;
  const list = [];
  for (const burst of BURSTS)
    list.push({ name: `submitTo, bursts of ${fmtInt(burst)}`, burst, recipe: 'submitTo', n });
  for (const burst of BURSTS)
    list.push({
      name: `mergeMap(submit), bursts of ${fmtInt(burst)}`,
      burst,
      recipe: 'mergeMap',
      n: nMergeMap,
    });
  const samples = await interleave(list, rounds, (v) => runBursts(lib, v.n, v.burst, v.recipe), {
    warmup: 1,
    // Timed on warm code, as a service's long-lived coordinator runs (see `interleave`).
    settle: false,
  });
  const rows = list.map((v) => {
    const ns = samples.get(v.name);
    const base = samples.get(list.find((w) => w.recipe === v.recipe && w.burst === BURSTS[0]).name);
    return [
      v.name,
      fmtInt(v.n),
      `${median(ns).toFixed(1)} ns`,
      fmtRatio(median(ns.map((x, i) => x / base[i]))),
    ];
  });
  const small = samples.get(`submitTo, bursts of ${fmtInt(BURSTS[0])}`);
  const large = samples.get(`submitTo, bursts of ${fmtInt(BURSTS[2])}`);
  const growth = median(large.map((x, i) => x / small[i]));
  return {
    note:
      `Values pushed through a Subject in synchronous bursts (what \`pauseWhile\` does when it releases), into a coordinator of capacity ${fmtInt(CAPACITY)} (batches of 500, 4 workers, counting sink); ` +
      `only the bursts are timed (for mergeMap, until its inner subscriptions have settled), and the coordinator always has room for a whole burst. ${rounds} interleaved rounds after 1 warm-up round; ` +
      "_vs bursts of 10_ is the median over rounds of (this cost / the same recipe's cost with bursts of 10).",
    tables: [{ headers: ['recipe', 'values per run', 'cost per value', 'vs bursts of 10'], rows }],
    data: { n, nMergeMap, rounds, samplesNs: Object.fromEntries(samples) },
    targets: [
      {
        text: 'submitTo cost per value flat: bursts of 10 000 at most 1.5x bursts of 10',
        measured: fmtRatio(growth),
        pass: growth <= 1.5,
      },
    ],
  };
}
