// Prometheus metrics of a WriteCoordinator in front of a flaky store. Run after `npm run build`:
//   node examples/metrics.mjs
// The store takes 10 ms a batch, goes down for a moment (connection resets: the breaker opens and
// the level goes hard), and refuses one batch of 5 rows outright (a constraint violation: they are
// dead-lettered). At the end the example prints what a Prometheus scrape of the registry returns;
// docs/metrics.md shows one such run.
import { Registry } from 'prom-client';
import { FeedbackBus, WriteCoordinator } from '../dist/esm/index.js';
import { registerCoordinatorMetrics } from '../dist/esm/prometheus/index.js';

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

class ConnectionResetError extends Error {
  name = 'ConnectionResetError';
  code = 'ECONNRESET';
}
class ConstraintError extends Error {
  name = 'ConstraintError';
  retryable = false;
}

let down = false;
const table = new Map();
const store = {
  async write(batch, { signal }) {
    await sleep(10, signal);
    if (down) throw new ConnectionResetError('connection reset by peer');
    if (batch.some((row) => row.price < 0)) throw new ConstraintError('price must be >= 0');
    for (const row of batch) table.set(row.id, row);
  },
};

const bus = new FeedbackBus();
bus.subscribe((e) =>
  console.error(`feedback: ${e.coordinatorId} ${e.previousLevel} -> ${e.level} (${e.reason})`),
);
const coordinator = new WriteCoordinator({
  id: 'ticks',
  sink: store,
  capacity: 1_000,
  workers: 2,
  batchSize: 50,
  flushIntervalMs: 20,
  retry: { maxAttempts: 8, initialBackoffMs: 20, maxBackoffMs: 200 },
  circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 150 },
  bus,
});

const registry = new Registry(); // never prom-client's global registry
registerCoordinatorMetrics(coordinator, { registry, bus });

let id = 0;
const rows = (n, price = 100) => Array.from({ length: n }, () => ({ id: id++, price }));
await coordinator.submitMany(rows(500));
down = true; // the store goes away for 300 ms while the producer keeps writing
setTimeout(() => (down = false), 300);
for (let i = 0; i < 10; i++) {
  await coordinator.submitMany(rows(60));
  await sleep(30);
}
const drained = async () => {
  while (coordinator.health().queueSize + coordinator.health().inFlight > 0) await sleep(10);
};
await drained();
// Alone in the queue, these 5 rows go in a batch of their own (flushed after 20 ms), which the store
// refuses for good: they are dead-lettered.
await coordinator.submitMany(rows(5, -1));
await sleep(50);
await coordinator.submitMany(rows(300));
await drained();

process.stdout.write(await registry.metrics());
const { written, deadLettered, submitted } = coordinator.health();
await coordinator.stop();
console.error(
  `submitted ${submitted}, written ${written} (${table.size} rows), dead-lettered ${deadLettered}`,
);
