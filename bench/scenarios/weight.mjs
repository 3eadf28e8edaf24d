// Scenario 11: capacity by weight. A byte-weighted coordinator (`weigh: (p) => p.bytes`) fed payloads
// of random sizes: (1) it holds its weight bound exactly, the largest weighted depth it ever
// reported being at most its capacity, with every payload written; (2) what weighing costs per
// item against the same coordinator counting items, in interleaved rounds.
import { BATCH, CONCURRENCY } from '../peers.mjs';
import { fmtInt, fmtMs, fmtRatio, interleave, median, now } from '../harness.mjs';

export const id = 'weight';
export const title = '11. Capacity by weight: a byte-weighted coordinator with random payload sizes';

const MAX_BYTES = 4_096;
// Capacities of the same order: 10 000 items, or 10 000 payloads of the mean size in bytes.
const ITEMS = 10_000;
const BYTES = ITEMS * (MAX_BYTES / 2);

/** Payload sizes from 1 to MAX_BYTES, from a fixed seed (mulberry32) so that every run sees the same. */
function payloads(n, seed = 42) {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return Array.from({ length: n }, (_, id) => ({ id, bytes: 1 + Math.floor(random() * MAX_BYTES) }));
}

function coordinator(lib, sink, weighed, extra = {}) {
  const c = new lib.WriteCoordinator({
    id: `weight-${Math.random().toString(36).slice(2)}`,
    sink,
    capacity: weighed ? BYTES : ITEMS,
    workers: CONCURRENCY,
    batchSize: BATCH,
    bus: null,
    ...(weighed ? { weigh: (p) => p.bytes } : {}),
    ...extra,
  });
  c.start();
  return c;
}

/** `if (!trySubmit(p)) { await ready({ weight }); trySubmit(p); }`, into a counting sink. */
async function feedTrySubmit(lib, items, weighed) {
  let count = 0;
  const c = coordinator(
    lib,
    (batch) => {
      count += batch.length;
    },
    weighed,
  );
  const t0 = now();
  for (const p of items) {
    if (!c.trySubmit(p)) {
      await c.ready(weighed ? { weight: p.bytes } : undefined);
      if (!c.trySubmit(p)) throw new Error('trySubmit after ready() refused');
    }
  }
  await c.stop({ drain: true });
  const ms = now() - t0;
  if (count !== items.length) throw new Error(`wrote ${count} of ${items.length}`);
  return ms;
}

/** One awaited `submit` per payload. */
async function feedSubmit(lib, items, weighed) {
  let count = 0;
  const c = coordinator(
    lib,
    (batch) => {
      count += batch.length;
    },
    weighed,
  );
  const t0 = now();
  for (const p of items) await c.submit(p);
  await c.stop({ drain: true });
  const ms = now() - t0;
  if (count !== items.length) throw new Error(`wrote ${count} of ${items.length}`);
  return ms;
}

/**
 * The bound: a sink slower than the producer (each batch waits a macrotask), so the coordinator
 * stays full; `depth$` is watched for its largest value and the bytes written are summed.
 */
async function holdsBound(lib, items, overflow) {
  let writtenBytes = 0;
  let written = 0;
  const c = coordinator(
    lib,
    async (batch) => {
      await new Promise((resolve) => setImmediate(resolve));
      for (const p of batch) writtenBytes += p.bytes;
      written += batch.length;
    },
    true,
    { overflow, capacity: 256 * 1024 },
  );
  let maxDepth = 0;
  let samples = 0;
  c.depth$.subscribe((depth) => {
    samples++;
    if (depth > maxDepth) maxDepth = depth;
  });
  let dropped = 0;
  c.dropped$.subscribe(() => dropped++);
  for (const p of items) await c.submit(p);
  await c.stop({ drain: true });
  const h = c.health();
  const offeredBytes = items.reduce((sum, p) => sum + p.bytes, 0);
  return {
    overflow,
    capacity: c.capacity,
    maxDepth,
    samples,
    written,
    writtenBytes,
    offeredBytes,
    dropped,
    h,
  };
}

export async function run({ lib, quick }) {
  const n = quick ? 200_000 : 1_000_000;
  const items = payloads(n);
  const rounds = 3;

  const bounds = [];
  for (const overflow of ['block', 'drop-oldest'])
    bounds.push(await holdsBound(lib, items.slice(0, n / 4), overflow));
  for (const b of bounds) {
    const accounted = b.h.written + b.h.dropped + b.h.rejected === b.h.submitted;
    if (b.maxDepth > b.capacity)
      throw new Error(`${b.overflow}: depth ${b.maxDepth} above capacity ${b.capacity}`);
    if (!accounted) throw new Error(`${b.overflow}: accounting does not hold: ${JSON.stringify(b.h)}`);
  }

  const list = [
    { name: 'trySubmit + ready, items', run: () => feedTrySubmit(lib, items, false) },
    { name: 'trySubmit + ready({ weight }), weigh', run: () => feedTrySubmit(lib, items, true) },
    { name: 'awaited submit, items', run: () => feedSubmit(lib, items, false) },
    { name: 'awaited submit, weigh', run: () => feedSubmit(lib, items, true) },
  ];
  const samples = await interleave(list, rounds, (v) => v.run(), {
    warmup: 1,
    // Timed on warm code, as a service's long-lived coordinator runs (see `interleave`).
    settle: false,
  });
  // weigh / items as a rate, per round, then the median: above 1 weighing is faster.
  const ratio = (weighed, plain) => median(samples.get(weighed).map((ms, i) => samples.get(plain)[i] / ms));
  const tryRatio = ratio('trySubmit + ready({ weight }), weigh', 'trySubmit + ready, items');
  const submitRatio = ratio('awaited submit, weigh', 'awaited submit, items');
  const vsItems = {
    'trySubmit + ready({ weight }), weigh': fmtRatio(tryRatio),
    'awaited submit, weigh': fmtRatio(submitRatio),
  };
  const rows = list.map((v) => {
    const ms = samples.get(v.name);
    return [
      v.name,
      fmtMs(median(ms)),
      `${((median(ms) * 1e6) / n).toFixed(0)} ns`,
      vsItems[v.name] ?? '1.00x',
    ];
  });
  const boundRows = bounds.map((b) => [
    b.overflow,
    fmtInt(b.capacity),
    fmtInt(b.maxDepth),
    b.maxDepth <= b.capacity ? 'yes' : 'NO',
    fmtInt(b.samples),
    `${fmtInt(b.written)} + ${fmtInt(b.dropped)} dropped of ${fmtInt(b.h.submitted)}`,
    `${fmtInt(b.writtenBytes)} of ${fmtInt(b.offeredBytes)}`,
  ]);
  return {
    note:
      `${fmtInt(n)} payloads of 1 to ${fmtInt(MAX_BYTES)} bytes (fixed seed). Bound: ${fmtInt(n / 4)} awaited submits into a ` +
      'coordinator of 262 144 bytes whose sink waits a macrotask per batch, `depth$` watched for its largest value. ' +
      `Cost: ${rounds} interleaved rounds after 1 warm-up, capacity ${fmtInt(ITEMS)} items vs ${fmtInt(BYTES)} bytes, ` +
      `batches of ${BATCH}, ${CONCURRENCY} workers, \`bus: null\`, a counting sink, then \`stop({ drain: true })\`.`,
    tables: [
      {
        headers: [
          'overflow',
          'capacity (bytes)',
          'largest depth$',
          'within',
          'depth$ values',
          'items',
          'bytes written',
        ],
        rows: boundRows,
      },
      { headers: ['variant', 'median time', 'per item', 'vs items (rate)'], rows },
    ],
    data: {
      n,
      rounds,
      bounds: bounds.map(({ h, ...b }) => ({ ...b, submitted: h.submitted, rejected: h.rejected })),
      samplesMs: Object.fromEntries(samples),
      weighVsItems: { trySubmit: tryRatio, submit: submitRatio },
    },
    targets: [
      {
        text: 'weighted depth never above capacity (block, drop-oldest)',
        measured: bounds.map((b) => `${fmtInt(b.maxDepth)} / ${fmtInt(b.capacity)}`).join(', '),
        pass: bounds.every((b) => b.maxDepth <= b.capacity),
      },
    ],
  };
}
