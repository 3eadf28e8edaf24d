// Scenario 8: a step change. The closed loop of scenario 6 (a producer offering 40 000 items/s,
// capacity 2 000, overflow 'reject'), but the sink's speed changes mid-run: it halves (each write
// takes twice as long), then doubles back. A rate matcher must follow both steps without losing an
// item: shed the excess before the queue is full when the sink slows, find the speed again when it
// recovers.
import { fmtInt, fmtMs, fmtPct, sleep, tick } from '../harness.mjs';
import { VARIANTS as LOOP_VARIANTS, producer } from './closed-loop.mjs';

export const id = 'step';
export const title = "8. A step change: the sink's rate halves, then doubles, mid-run";

const CAPACITY = 2_000;
const BATCH = 100;
const WORKERS = 2;
const FAST_MS = 10; // 20 000 items/s at most
const SLOW_MS = 20; // 10 000 items/s at most
const FLUSH_MS = 20;
const OFFER_RATE = 40_000;
const BUCKET_MS = 100;
// Settled: from this bucket on, the producer's submit rate over a sliding 500 ms stays within 10 %
// of what the sink wrote in the last second of the phase (the sink's real speed on this machine).
const SETTLE_TOLERANCE = 0.1;
const SETTLE_WINDOW_BUCKETS = 5;

const VARIANTS = LOOP_VARIANTS.filter(
  (v) => v.name === 'pace(matchDrainRate(c))' || v.name.startsWith('aimdRate'),
);

async function runVariant(lib, variant, phaseMs) {
  let latency = FAST_MS;
  let over = false;
  const coordinator = new lib.WriteCoordinator({
    id: 'step',
    sink: async () => {
      await sleep(latency);
    },
    capacity: CAPACITY,
    workers: WORKERS,
    batchSize: BATCH,
    flushIntervalMs: FLUSH_MS,
    overflow: 'reject',
    bus: null,
    circuitBreaker: false,
  });
  const submittedAt = [];
  const writtenAt = [];
  let t0 = 0;
  const bucket = () => Math.floor((performance.now() - t0) / BUCKET_MS);
  const count = (list) => {
    const b = bucket();
    list[b] = (list[b] ?? 0) + 1;
  };
  const written$ = coordinator.writes$.subscribe((record) => {
    if (over || record.outcome !== 'written') return;
    const b = bucket();
    writtenAt[b] = (writtenAt[b] ?? 0) + record.size;
  });
  let peakDepth = 0;
  const depth$ = coordinator.depth$.subscribe((depth) => (peakDepth = Math.max(peakDepth, depth)));
  const submit = (item) => {
    if (over) return;
    count(submittedAt);
    coordinator.submit(item).catch(() => undefined); // counted by health().rejected
  };
  coordinator.start();
  const totalMs = 3 * phaseMs;
  const offers$ = producer(OFFER_RATE, totalMs);
  t0 = performance.now();
  const maxBuffered = OFFER_RATE * Math.ceil(totalMs / 1000) + 1;
  let pipelineError = null;
  const observer = { next: submit, error: (error) => (pipelineError = String(error?.message ?? error)) };
  const wired = variant.wire({
    lib,
    offers$,
    submit,
    observer,
    coordinator,
    maxBuffered,
    stats: { pauses: 0 },
  });
  await sleep(phaseMs);
  latency = SLOW_MS;
  await sleep(phaseMs);
  latency = FAST_MS;
  await sleep(phaseMs);
  over = true;
  const health = coordinator.health();
  wired.unsubscribe();
  written$.unsubscribe();
  depth$.unsubscribe();
  await tick();
  await coordinator.stop({ drain: false, timeoutMs: 1_000 });
  const buckets = Math.floor(totalMs / BUCKET_MS);
  const perSecond = (list, b) => ((list[b] ?? 0) * 1000) / BUCKET_MS;
  const phaseBuckets = phaseMs / BUCKET_MS;
  const sinkRate = (phase) => {
    // the sink's real speed: what it wrote in the last second of the phase
    const end = (phase + 1) * phaseBuckets;
    let sum = 0;
    for (let b = end - 10; b < end; b++) sum += perSecond(writtenAt, b);
    return sum / 10;
  };
  const settle = (phase) => {
    const start = phase * phaseBuckets;
    const end = Math.min(buckets, (phase + 1) * phaseBuckets);
    const target = sinkRate(phase);
    let settledFrom = null;
    for (let b = start; b + SETTLE_WINDOW_BUCKETS <= end; b++) {
      let sum = 0;
      for (let k = 0; k < SETTLE_WINDOW_BUCKETS; k++) sum += perSecond(submittedAt, b + k);
      const ok = Math.abs(sum / SETTLE_WINDOW_BUCKETS - target) <= SETTLE_TOLERANCE * target;
      if (ok && settledFrom === null) settledFrom = b;
      if (!ok) settledFrom = null;
    }
    return settledFrom === null ? Infinity : (settledFrom - start + SETTLE_WINDOW_BUCKETS) * BUCKET_MS;
  };
  return {
    lost: health.rejected + health.dropped,
    peakDepth,
    sinkRates: [sinkRate(0), sinkRate(1), sinkRate(2)],
    settleDownMs: settle(1),
    settleUpMs: settle(2),
    error: pipelineError,
  };
}

export async function run({ lib, quick }) {
  const phaseMs = quick ? 2_000 : 4_000;
  const data = { capacity: CAPACITY, offerRate: OFFER_RATE, phaseMs, variants: {} };
  const rows = [];
  for (const variant of VARIANTS) {
    const r = await runVariant(lib, variant, phaseMs);
    data.variants[variant.name] = r;
    rows.push([
      variant.name,
      fmtInt(r.lost),
      `${fmtInt(r.peakDepth)} (${fmtPct(r.peakDepth / CAPACITY)})`,
      r.sinkRates.map(fmtInt).join(' / '),
      Number.isFinite(r.settleDownMs) ? fmtMs(r.settleDownMs) : 'never',
      Number.isFinite(r.settleUpMs) ? fmtMs(r.settleUpMs) : 'never',
    ]);
  }
  const m = data.variants['pace(matchDrainRate(c))'];
  const targets = [
    {
      text: 'pace(matchDrainRate(c)): settles within 2 s after the sink halves and after it doubles, 0 lost',
      measured: `${Number.isFinite(m.settleDownMs) ? fmtMs(m.settleDownMs) : 'never'} / ${Number.isFinite(m.settleUpMs) ? fmtMs(m.settleUpMs) : 'never'}, ${fmtInt(m.lost)} lost`,
      pass: m.lost === 0 && m.settleDownMs <= 2_000 && m.settleUpMs <= 2_000,
    },
  ];
  return {
    note:
      (quick ? 'QUICK: shorter phases. ' : '') +
      `Sink: ${WORKERS} workers, batches of ${BATCH}, ${FAST_MS} ms a write, then ${SLOW_MS} ms, then ${FAST_MS} ms again (${phaseMs / 1000} s each); capacity ${fmtInt(CAPACITY)}, overflow 'reject'. ` +
      `Producer offers ${fmtInt(OFFER_RATE)} items/s. Settled: the producer's submit rate over a sliding ${SETTLE_WINDOW_BUCKETS * BUCKET_MS} ms stays within ${SETTLE_TOLERANCE * 100} % of what the sink wrote in the phase's last second, from then to the end of the phase.`,
    tables: [
      {
        headers: [
          'variant',
          'lost',
          'peak depth',
          'sink items/s (fast / slow / fast)',
          'settled after halving',
          'settled after doubling',
        ],
        rows,
      },
    ],
    data,
    targets,
  };
}
