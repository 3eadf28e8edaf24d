// One coordinator kept for the whole process, as a service keeps its own, fed 1 000 000 items per
// round through `trySubmit` + `ready` with two forced full collections after each round: shows that
// the collections the throughput scenarios no longer force between runs do not slow a coordinator
// that lives on (see docs/benchmarks.md). `npm run build`, then `node --expose-gc bench/long-lived.mjs`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const lib = await import(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'esm', 'index.js'));
const n = 1_000_000;
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? '6');
let count = 0;
const coordinator = new lib.WriteCoordinator({
  sink: (batch) => {
    count += batch.length;
  },
  capacity: 10_000,
  workers: 4,
  batchSize: 500,
  bus: null,
});

/** Feeds one round and waits until the sink has seen it; ns per item. */
async function feed(round) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!coordinator.trySubmit(i)) {
      await coordinator.ready();
      if (!coordinator.trySubmit(i)) throw new Error('trySubmit after ready() refused');
    }
  }
  while (count < (round + 1) * n) await new Promise((resolve) => setImmediate(resolve));
  return ((performance.now() - t0) * 1e6) / n;
}

for (let round = 0; round < rounds; round++) {
  const ns = await feed(round);
  globalThis.gc();
  globalThis.gc();
  console.log(`round ${round}: ${ns.toFixed(0)} ns an item (then two forced full collections)`);
}
await coordinator.stop();
