// Scenario 6: the closed loop. A producer offers twice what a simulated sink can take; the
// coordinator refuses what does not fit (overflow 'reject'). Each variant decides when the producer's
// items are submitted: at once (no pacing), by the polling loop the Python original recommended,
// or by one of our pacing operators following the coordinator's level.
import { Observable, map, tap } from 'rxjs';
import { fmtInt, fmtPct, sleep, tick } from '../harness.mjs';

export const id = 'loop';
export const title = '6. The closed loop: a producer offering twice what the sink takes';

// The sink: each write takes LATENCY_MS whatever its size, so at most
// WORKERS * BATCH / LATENCY_MS items per second get through (20 000 / s).
const CAPACITY = 2_000;
const BATCH = 100;
const WORKERS = 2;
const LATENCY_MS = 10;
const FLUSH_MS = 20;
const SINK_RATE = (WORKERS * BATCH * 1000) / LATENCY_MS;
const OFFER_RATE = 2 * SINK_RATE;
const TICK_MS = 2;

/**
 * Items 0, 1, 2, ... offered at `rate` per second for `durationMs`: every TICK_MS the producer
 * emits what is due by then, like a feed that arrives in small bursts.
 */
export function producer(rate, durationMs) {
  return new Observable((subscriber) => {
    const t0 = performance.now();
    const total = Math.floor((rate * durationMs) / 1000);
    let offered = 0;
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
      while (offered < due && !subscriber.closed) subscriber.next(offered++);
      if (offered >= total) {
        clearInterval(timer);
        subscriber.complete();
      }
    }, TICK_MS);
    return () => clearInterval(timer);
  });
}

/** The variants: each wires `offers$` (the producer) to `submit` its own way. */
export const VARIANTS = [
  {
    name: 'no pacing',
    wire: ({ offers$, observer }) => offers$.subscribe(observer),
  },
  {
    name: 'polling loop (sleep 250 ms while queue > 80 %)',
    wire: ({ offers$, submit, coordinator, window }) => {
      // The Python original's advice (reference/phase-6.0A-quickstart.md, "Before"):
      //   await coord.submit(bar)
      //   if coord.health().queue_size > 8000: await asyncio.sleep(0.25)   # capacity 10 000
      // Items wait in the producer while it sleeps.
      const pending = [];
      let wake = null;
      let done = false;
      const subscription = offers$.subscribe((item) => {
        pending.push(item);
        wake?.();
      });
      void (async () => {
        let head = 0;
        while (!done && !window.over) {
          if (head === pending.length) {
            await new Promise((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          submit(pending[head++]);
          if (head > 4096 && head * 2 > pending.length) {
            pending.splice(0, head);
            head = 0;
          }
          if (coordinator.health().queueSize > 0.8 * CAPACITY) await sleep(250);
          else if ((head & 63) === 0) await null; // an async loop: let others run now and then
        }
      })();
      return {
        unsubscribe: () => {
          done = true;
          subscription.unsubscribe();
          wake?.();
        },
      };
    },
  },
  {
    name: "pauseWhile(level === 'hard')",
    wire: ({ lib, offers$, observer, coordinator, maxBuffered, stats }) =>
      offers$
        .pipe(
          lib.pauseWhile(
            coordinator.level$.pipe(
              map((level) => level === 'hard'),
              countPauses(stats),
            ),
            {
              maxBuffered,
            },
          ),
        )
        .subscribe(observer),
  },
  {
    name: 'pauseWhile(pauseOn(level$)): pause at hard, resume at ok',
    wire: ({ lib, offers$, observer, coordinator, maxBuffered, stats }) =>
      offers$
        .pipe(lib.pauseWhile(lib.pauseOn(coordinator.level$).pipe(countPauses(stats)), { maxBuffered }))
        .subscribe(observer),
  },
  {
    name: 'throttleByLevel (defaults: ok 0, soft 10 ms, hard pause)',
    wire: ({ lib, offers$, observer, coordinator, maxBuffered }) =>
      offers$.pipe(lib.throttleByLevel(coordinator.level$, { maxBuffered })).subscribe(observer),
  },
  ...[0.5, 0.9].map((decreaseFactor) => ({
    name: `aimdRate + pace (decreaseFactor ${decreaseFactor})`,
    wire: ({ lib, offers$, observer, coordinator, maxBuffered }) => {
      // Rates in items/s for this sink: start at half of it, never above what the producer offers,
      // climb by 5 % of the sink's rate every 100 ms while ok. 0.5 is the default (TCP's halving),
      // 0.9 is Netflix concurrency-limits' AIMDLimit.
      const rate$ = lib.aimdRate(coordinator.level$, {
        initial: SINK_RATE / 2,
        min: SINK_RATE / 100,
        max: OFFER_RATE,
        increase: SINK_RATE / 20,
        intervalMs: 100,
        decreaseFactor,
      });
      return offers$.pipe(lib.pace(rate$, { burst: BATCH, maxBuffered })).subscribe(observer);
    },
  })),
  {
    name: 'pace(matchDrainRate(c))',
    wire: ({ lib, offers$, observer, coordinator, maxBuffered }) =>
      offers$
        .pipe(
          lib.pace(lib.matchDrainRate(coordinator, { initial: SINK_RATE / 2 }), {
            burst: BATCH,
            maxBuffered,
          }),
        )
        .subscribe(observer),
  },
];

/** Counts the pauses (false to true) of a paused$ stream into stats.pauses. */
function countPauses(stats) {
  let paused = false;
  return tap((value) => {
    if (value && !paused) stats.pauses++;
    paused = value;
  });
}

export async function runVariant(lib, variant, durationMs) {
  const busy = new Map(); // write start times of writes in progress
  let busyMs = 0;
  let written = 0;
  const window = { start: 0, end: 0, over: false };
  const coordinator = new lib.WriteCoordinator({
    id: 'loop',
    sink: async (batch) => {
      const started = performance.now();
      const token = {};
      busy.set(token, started);
      await sleep(LATENCY_MS);
      busy.delete(token);
      if (!window.over) {
        busyMs += performance.now() - started;
        written += batch.length;
      }
    },
    capacity: CAPACITY,
    workers: WORKERS,
    batchSize: BATCH,
    flushIntervalMs: FLUSH_MS,
    overflow: 'reject',
    bus: null,
    circuitBreaker: false,
  });
  let peakDepth = 0;
  let levelChanges = -1; // the first value is the starting level
  const levels = { ok: 0, soft: 0, hard: 0 };
  let lastLevelAt = 0;
  let lastLevel = 'ok';
  const watch = [
    coordinator.depth$.subscribe((depth) => {
      if (depth > peakDepth) peakDepth = depth;
    }),
    coordinator.level$.subscribe((level) => {
      const t = performance.now();
      if (!window.over) {
        levelChanges++;
        if (window.start > 0) levels[lastLevel] += t - lastLevelAt;
      }
      lastLevel = level;
      lastLevelAt = t;
    }),
  ];
  let submitted = 0;
  let pipelineError = null;
  const submit = (item) => {
    submitted++;
    coordinator.submit(item).catch(() => undefined); // counted by health().rejected
  };
  coordinator.start();
  const offers$ = producer(OFFER_RATE, durationMs);
  window.start = performance.now();
  lastLevelAt = window.start;
  const maxBuffered = OFFER_RATE * Math.ceil(durationMs / 1000) + 1;
  const observer = { next: submit, error: (error) => (pipelineError = String(error?.message ?? error)) };
  const stats = { pauses: 0 };
  const wired = variant.wire({ lib, offers$, submit, observer, coordinator, maxBuffered, window, stats });
  await sleep(durationMs);
  // Snapshot at the end of the window: busy time of completed writes plus the part of each write
  // still running that fell inside the window.
  window.end = performance.now();
  window.over = true;
  const wall = window.end - window.start;
  for (const started of busy.values()) busyMs += window.end - started;
  levels[lastLevel] += window.end - lastLevelAt;
  const health = coordinator.health();
  const offered = Math.floor((OFFER_RATE * wall) / 1000);
  wired.unsubscribe();
  for (const s of watch) s.unsubscribe();
  await tick();
  await coordinator.stop({ drain: false, timeoutMs: 1_000 });
  return {
    wallMs: wall,
    offered,
    submitted,
    rejected: health.rejected,
    dropped: health.dropped,
    written,
    heldByProducer: Math.max(0, offered - submitted),
    peakDepth,
    utilization: busyMs / (WORKERS * wall),
    levelChanges,
    levelChangesPerMinute: (levelChanges * 60_000) / wall,
    pausesPerMinute: (stats.pauses * 60_000) / wall,
    timeInLevel: { ok: levels.ok / wall, soft: levels.soft / wall, hard: levels.hard / wall },
    error: pipelineError,
  };
}

export async function run({ lib, quick }) {
  const durationMs = quick ? 1_500 : 5_000;
  const repetitions = quick ? 1 : 3;
  const data = {
    capacity: CAPACITY,
    batchSize: BATCH,
    workers: WORKERS,
    latencyMs: LATENCY_MS,
    sinkRate: SINK_RATE,
    offerRate: OFFER_RATE,
    durationMs,
    repetitions,
    variants: {},
    runs: {},
  };
  // Interleaved repetitions (A B C ... A B C ...), so that a noisy neighbour weighs on every variant.
  for (let rep = 0; rep < repetitions; rep++) {
    for (const variant of VARIANTS) {
      const r = await runVariant(lib, variant, durationMs);
      (data.runs[variant.name] ??= []).push(r);
    }
  }
  const rows = [];
  const range = (values, fmt) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi || values.length === 1 ? fmt(lo) : `${fmt(lo)} – ${fmt(hi)}`;
  };
  for (const variant of VARIANTS) {
    const runs = data.runs[variant.name];
    const r = runs[runs.length - 1];
    data.variants[variant.name] = r;
    rows.push([
      variant.name,
      range(
        runs.map((x) => x.rejected + x.dropped),
        fmtInt,
      ),
      range(
        runs.map((x) => x.peakDepth),
        fmtInt,
      ),
      range(
        runs.map((x) => x.utilization),
        fmtPct,
      ),
      range(
        runs.map((x) => x.levelChangesPerMinute),
        fmtInt,
      ),
      variant.name.startsWith('pauseWhile')
        ? range(
            runs.map((x) => x.pausesPerMinute),
            fmtInt,
          )
        : '',
      `${fmtPct(r.timeInLevel.ok)} / ${fmtPct(r.timeInLevel.soft)} / ${fmtPct(r.timeInLevel.hard)}`,
      fmtInt(r.written),
      fmtInt(r.heldByProducer),
    ]);
  }
  const worst = (name, pick, dir) => {
    const values = data.runs[name].map(pick);
    return dir === 'min' ? Math.min(...values) : Math.max(...values);
  };
  const polling = 'polling loop (sleep 250 ms while queue > 80 %)';
  const targets = [];
  for (const variant of VARIANTS.slice(2)) {
    const lost = worst(variant.name, (x) => x.rejected + x.dropped, 'max');
    const utilization = worst(variant.name, (x) => x.utilization, 'min');
    const changes = worst(variant.name, (x) => x.levelChangesPerMinute, 'max');
    const pollingChanges = worst(polling, (x) => x.levelChangesPerMinute, 'min');
    targets.push({
      text: `${variant.name}: 0 rejected/dropped at >= 90 % utilisation, fewer level changes than polling`,
      measured: `${fmtInt(lost)} lost, ${fmtPct(utilization)}, ${fmtInt(changes)} vs ${fmtInt(pollingChanges)} changes/min (worst of ${repetitions})`,
      pass: lost === 0 && utilization >= 0.9 && changes < pollingChanges,
    });
  }
  const match = 'pace(matchDrainRate(c))';
  {
    const lost = worst(match, (x) => x.rejected + x.dropped, 'max');
    const utilization = worst(match, (x) => x.utilization, 'min');
    const changes = worst(match, (x) => x.levelChangesPerMinute, 'max');
    targets.push({
      text: `${match}: >= 97 % sink utilisation, 0 lost, <= 300 level changes/min, in each of ${repetitions} runs`,
      measured: `${fmtPct(utilization)}, ${fmtInt(lost)} lost, ${fmtInt(changes)} changes/min (worst of ${repetitions})`,
      pass: lost === 0 && utilization >= 0.97 && changes <= 300,
    });
  }
  {
    const hysteresis = 'pauseWhile(pauseOn(level$)): pause at hard, resume at ok';
    const plain = "pauseWhile(level === 'hard')";
    const lost = worst(hysteresis, (x) => x.rejected + x.dropped, 'max');
    const ratios = data.runs[hysteresis].map(
      (x, i) => x.pausesPerMinute / data.runs[plain][i].pausesPerMinute,
    );
    const ratio = Math.max(...ratios);
    targets.push({
      text: `${hysteresis}: 0 lost, at most half the pauses of ${plain}, in each of ${repetitions} runs`,
      measured: `${fmtInt(lost)} lost, ${ratios.map((x) => x.toFixed(2)).join(' / ')} of the pauses`,
      pass: lost === 0 && ratio <= 0.5,
    });
  }
  return {
    note:
      (quick ? 'QUICK: shorter runs, one repetition. ' : '') +
      `Sink: ${WORKERS} workers, batches of ${BATCH}, ${LATENCY_MS} ms a write (${fmtInt(SINK_RATE)} items/s at most); coordinator capacity ${fmtInt(CAPACITY)}, overflow 'reject', flush ${FLUSH_MS} ms. ` +
      `Producer offers ${fmtInt(OFFER_RATE)} items/s for ${durationMs / 1000} s per variant, ${repetitions} interleaved repetitions (ranges are lowest – highest); items a pacing operator holds back wait in its buffer (maxBuffered raised to hold them all).`,
    tables: [
      {
        headers: [
          'variant',
          'rejected + dropped',
          'peak depth',
          'sink utilisation',
          'level changes / min',
          'pauses / min',
          'time ok / soft / hard (last run)',
          'written (last run)',
          'held by producer (last run)',
        ],
        rows,
      },
    ],
    data,
    targets,
  };
}
