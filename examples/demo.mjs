// The main job: a fast producer writes market ticks into a slower store through a WriteCoordinator,
// and paces itself with the coordinator's own feedback. Everything is embedded: the "store" is a
// simulated table that writes 4 000 rows a second and fails now and then; the producer emits
// 8 000 ticks a second, twice what the store takes. Run it with `npm run demo` (which builds first).
//
// Options (environment variables, all optional): DEMO_TICKS (default 12000), DEMO_TICK_RATE
// (ticks a second, default 8000), DEMO_STORE_RATE (rows a second, default 4000).
import { interval, lastValueFrom, map, mergeMap, range, take } from 'rxjs';
import {
  MemoryDeadLetterQueue,
  WriteCoordinator,
  feedbackBus,
  pauseWhile,
  submitTo,
} from '../dist/esm/index.js';

const TICKS = positiveInteger('DEMO_TICKS', 12_000);
const TICK_RATE = positiveInteger('DEMO_TICK_RATE', 8_000);
const STORE_RATE = positiveInteger('DEMO_STORE_RATE', 4_000);

function positiveInteger(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be an integer >= 1, found ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const started = performance.now();
const at = () => `${((performance.now() - started) / 1000).toFixed(2).padStart(5)} s`;

// The embedded store: time proportional to the batch (two workers share STORE_RATE), and a transient
// failure every 25th call.
const WORKERS = 2;
const table = new Map();
let calls = 0;
const store = {
  async write(batch, { signal }) {
    calls++;
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ((batch.length * WORKERS) / STORE_RATE) * 1000);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
    if (calls % 25 === 0) throw new Error('temporary failure: connection busy'); // retried with backoff
    for (const tick of batch) table.set(tick.seq, tick); // idempotent: a retried batch overwrites
  },
};

const deadLetter = new MemoryDeadLetterQueue();
const coordinator = new WriteCoordinator({
  id: 'ticks',
  sink: store,
  capacity: 2_000,
  workers: WORKERS,
  batchSize: 100,
  flushIntervalMs: 20,
  overflow: 'reject', // a full coordinator refuses: only pacing keeps the producer from losing ticks
  retry: { maxAttempts: 5, initialBackoffMs: 10 },
  deadLetter,
});

// Anyone in the process can watch the shared bus: a dashboard, a webhook, a log line.
feedbackBus().subscribe((e) =>
  console.log(
    `${at()}  ${e.coordinatorId}: ${e.previousLevel.padEnd(4)} -> ${e.level.padEnd(4)} ` +
      `(${e.reason}) depth ${e.queueSize}/${e.capacity}`,
  ),
);
let peakDepth = 0;
coordinator.depth$.subscribe((depth) => (peakDepth = Math.max(peakDepth, depth)));
coordinator.start();

// The producer: bursts of ticks every 10 ms, paused while the coordinator is 'hard'.
const perBurst = Math.max(1, Math.round(TICK_RATE / 100));
let refused = 0;
await lastValueFrom(
  interval(10).pipe(
    take(Math.ceil(TICKS / perBurst)),
    mergeMap((burst) => range(burst * perBurst, Math.min(perBurst, TICKS - burst * perBurst))),
    map((seq) => ({ seq, symbol: 'ACME', price: 100 + Math.sin(seq / 50) })),
    pauseWhile(coordinator.level$.pipe(map((level) => level === 'hard'))),
    submitTo(coordinator, { onRefused: () => refused++ }),
  ),
  { defaultValue: undefined },
);

const report = await coordinator.stop({ drain: true, timeoutMs: 10_000 });
const health = coordinator.health();
console.log(`\n${at()}  done`);
console.log(`  ticks produced     ${TICKS} at ${TICK_RATE}/s into a store taking ${STORE_RATE}/s`);
console.log(
  `  written            ${health.written} (${table.size} distinct rows, ${health.batchesWritten} batches)`,
);
console.log(`  dead-lettered      ${health.deadLettered}`);
console.log(`  refused (full)     ${refused}`);
console.log(`  write errors       ${health.writeErrors} (retried)`);
console.log(`  peak depth         ${peakDepth}/${coordinator.health().capacity}`);
console.log(`  drained in time    ${report.drained}`);
const lost = TICKS - health.written - health.deadLettered - health.rejected - health.dropped;
console.log(`  unaccounted        ${lost}`);
if (lost !== 0 || !report.drained) process.exitCode = 1;
