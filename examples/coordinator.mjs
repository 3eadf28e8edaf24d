// A WriteCoordinator in front of a slow, flaky "database". Run after `npm run build`:
//   node examples/coordinator.mjs
// The producer awaits each submit (so it waits only when the coordinator is full), watches the
// level, and the example ends with a drained stop and a look at the dead-letter queue.
import { MemoryDeadLetterQueue, WriteCoordinator } from '../dist/esm/index.js';

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

// The "database": 20 ms per batch, a transient failure now and then, and rows it refuses outright.
const table = new Map();
let calls = 0;
const database = {
  async write(batch, { signal, attempt }) {
    calls++;
    await sleep(20, signal); // honours the signal: an aborted write stores nothing
    if (calls % 7 === 0) throw Object.assign(new Error('deadlock detected'), { attempt });
    if (batch.some((row) => row.price < 0)) throw new RangeError('price must be >= 0');
    for (const row of batch) table.set(row.id, row); // idempotent: a retried batch overwrites
  },
};

const deadLetter = new MemoryDeadLetterQueue();
const coordinator = new WriteCoordinator({
  id: 'quotes',
  sink: database,
  capacity: 1_000,
  workers: 2,
  batchSize: 100,
  flushIntervalMs: 50,
  retry: { maxAttempts: 4, initialBackoffMs: 10 },
  deadLetter,
  bus: null,
});

coordinator.feedback$.subscribe((e) =>
  console.log(`level ${e.previousLevel} -> ${e.level} (${e.reason}) at ${e.queueSize}/${e.capacity}`),
);
let retried = 0;
coordinator.errors$.subscribe((report) => {
  if (report.kind === 'write') retried++;
});

for (let id = 0; id < 5_000; id++) {
  const price = id === 1_234 ? -1 : 100 + (id % 50);
  await coordinator.submit({ id, price }); // resolves at once unless the coordinator is full
}
const report = await coordinator.stop({ drain: true, timeoutMs: 10_000 });

const h = coordinator.health();
console.log('stop report', report);
console.log(
  `stored ${table.size} rows; failed attempts ${retried}; dead-lettered batches ${deadLetter.size}`,
);
for (const record of deadLetter.records) {
  console.log(
    `  ${record.reason}: ${record.items.length} items after ${record.attempts} attempt(s): ${record.error.message}`,
  );
}
const balanced =
  h.submitted === h.written + h.deadLettered + h.dropped + h.rejected + h.queueSize + h.inFlight;
console.log(`submitted ${h.submitted} = written ${h.written} + dead-lettered ${h.deadLettered}: ${balanced}`);
if (!balanced || table.size + h.deadLettered !== 5_000) process.exitCode = 1;
