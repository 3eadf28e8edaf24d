// Scenario 10: adaptive worker concurrency. A simulated store whose write latency grows with the
// writes it runs at once: base × max(1, inFlight / 4)², so 4 at once is its best throughput (below,
// it idles; above, every write slows more than the extra writes add). A producer keeps the
// coordinator full. Fixed worker counts 1, 2, 4, 8, 16, 32 against `workers: { min: 1, max: 32 }`
// started at 1 and at 32: does the adaptive limit find the store's best concurrency by itself?
import { fmtInt, fmtMs, fmtPct, fmtRate, interleave, median, percentile, sleep } from '../harness.mjs';

export const id = 'adaptive';
export const title = '10. Adaptive worker concurrency against a store that slows past 4 writes at once';

const BASE_MS = 40;
const KNEE = 4;
const BATCH = 100;
const CAPACITY = 20_000;
const FIXED = [1, 2, 4, 8, 16, 32];
const VARIANTS = [
  ...FIXED.map((n) => ({ name: `fixed ${n}`, workers: n })),
  { name: 'adaptive, initial 1', workers: { min: 1, max: 32, initial: 1 } },
  { name: 'adaptive, initial 32', workers: { min: 1, max: 32, initial: 32 } },
];

/** The store: one write's latency is set by the writes running when it starts. */
function simulatedStore() {
  let inFlight = 0;
  const latencies = []; // [startedAt, ms]
  return {
    latencies,
    write: async () => {
      inFlight++;
      const startedAt = performance.now();
      await sleep(BASE_MS * Math.max(1, inFlight / KNEE) ** 2);
      inFlight--;
      latencies.push([startedAt, performance.now() - startedAt]);
    },
  };
}

async function runVariant(lib, variant, durationMs, warmupMs) {
  const store = simulatedStore();
  const coordinator = new lib.WriteCoordinator({
    id: 'adaptive',
    sink: store.write,
    capacity: CAPACITY,
    workers: variant.workers,
    batchSize: BATCH,
    flushIntervalMs: 5,
    bus: null,
    circuitBreaker: false,
  });
  const written = []; // [at, size, limit]
  const records$ = coordinator.writes$.subscribe((r) => {
    if (r.outcome === 'written') written.push([performance.now(), r.size, r.concurrencyLimit]);
  });
  coordinator.start();
  const t0 = performance.now();
  let over = false;
  const producer = (async () => {
    let i = 0;
    while (!over) {
      if (coordinator.trySubmit(i)) i++;
      else await coordinator.ready();
    }
  })();
  await sleep(durationMs);
  over = true;
  const end = performance.now();
  const finalLimit = coordinator.health().concurrencyLimit;
  await producer;
  await coordinator.stop({ drain: false, timeoutMs: 5_000 });
  records$.unsubscribe();
  const steadyFrom = t0 + warmupMs;
  const items = (from) =>
    written.filter(([at]) => at >= from && at <= end).reduce((n, [, size]) => n + size, 0);
  const p99 = (from) =>
    percentile(
      store.latencies.filter(([at]) => at >= from).map(([, ms]) => ms),
      99,
    );
  const steadyLimits = written.filter(([at]) => at >= steadyFrom && at <= end).map(([, , limit]) => limit);
  return {
    throughput: (items(steadyFrom) * 1000) / (end - steadyFrom),
    p99: p99(steadyFrom),
    wholeThroughput: (items(t0) * 1000) / (end - t0),
    wholeP99: p99(t0),
    meanLimit: steadyLimits.reduce((a, b) => a + b, 0) / Math.max(1, steadyLimits.length),
    finalLimit,
  };
}

export async function run({ lib, quick }) {
  const durationMs = quick ? 10_000 : 20_000;
  const warmupMs = quick ? 6_000 : 8_000;
  const rounds = quick ? 1 : 2;
  const samples = await interleave(VARIANTS, rounds, (v) => runVariant(lib, v, durationMs, warmupMs), {
    warmup: 0,
  });
  const summary = new Map(
    VARIANTS.map((v) => {
      const runs = samples.get(v.name);
      const pick = (key) => median(runs.map((r) => r[key]));
      return [
        v.name,
        {
          throughput: pick('throughput'),
          p99: pick('p99'),
          wholeThroughput: pick('wholeThroughput'),
          wholeP99: pick('wholeP99'),
          meanLimit: pick('meanLimit'),
          finalLimit: runs.map((r) => r.finalLimit).join(' / '),
        },
      ];
    }),
  );
  const best = FIXED.map((n) => [`fixed ${n}`, summary.get(`fixed ${n}`)]).reduce((a, b) =>
    b[1].throughput > a[1].throughput ? b : a,
  );
  const [bestName, bestStats] = best;
  const rows = VARIANTS.map((v) => {
    const s = summary.get(v.name);
    return [
      v.name,
      fmtRate(s.throughput),
      fmtPct(s.throughput / bestStats.throughput),
      fmtMs(s.p99),
      `${(s.p99 / bestStats.p99).toFixed(2)}x`,
      fmtRate(s.wholeThroughput),
      fmtMs(s.wholeP99),
      typeof v.workers === 'number' ? String(v.workers) : `${s.meanLimit.toFixed(2)} (end ${s.finalLimit})`,
    ];
  });
  const targets = ['adaptive, initial 1', 'adaptive, initial 32'].map((name) => {
    const s = summary.get(name);
    const share = s.throughput / bestStats.throughput;
    const ratio = s.p99 / bestStats.p99;
    return {
      text: `${name}: >= 95 % of the best fixed count's throughput (${bestName}), p99 <= 1.5x its p99 (after the first ${warmupMs / 1000} s)`,
      measured: `${fmtPct(share)}, p99 ${ratio.toFixed(2)}x`,
      pass: share >= 0.95 && ratio <= 1.5,
    };
  });
  return {
    note:
      (quick ? 'QUICK: shorter runs, one round. ' : '') +
      `Store latency ${BASE_MS} ms × max(1, inFlight / ${KNEE})², batches of ${BATCH}, capacity ${fmtInt(CAPACITY)}, a producer that keeps the coordinator full. ` +
      `Each variant runs ${durationMs / 1000} s, ${rounds} interleaved round(s), medians shown; "steady" figures leave out the first ${warmupMs / 1000} s ` +
      `(the adaptive limit's search), "whole run" ones include it. p99 is of the store's own write latency (each write, from its start to its end).`,
    tables: [
      {
        headers: [
          'workers',
          'items/s (steady)',
          'of best fixed',
          'p99 (steady)',
          'p99 / best fixed',
          'items/s (whole run)',
          'p99 (whole run)',
          'limit (mean steady, end)',
        ],
        rows,
      },
    ],
    data: Object.fromEntries(summary),
    targets,
  };
}
