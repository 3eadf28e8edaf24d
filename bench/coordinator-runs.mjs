// The coordinator fed like its peers (bench/peers.mjs): N items, one `await submit` at a time, into
// an in-memory sink that counts, batch 500, 4 workers, capacity 10 000.
import { BATCH, BOUND, CONCURRENCY, checkCount } from './peers.mjs';
import { now } from './harness.mjs';

/** What is attached to the coordinator in each configuration. */
export const TRACKING = {
  // scenario 1: a private bus and one feedback$ subscriber
  listener: { bus: true, feedback: true },
  // scenario 2: the baseline, and the full set, then the full set taken apart
  none: {},
  full: { bus: true, listener: true, feedback: true, level: true, depth: true },
  'bus+listener': { bus: true, listener: true },
  'bus+listener+level$': { bus: true, listener: true, feedback: true, level: true },
  'depth$ only': { depth: true },
};

export async function runCoordinator(lib, n, tracking = 'listener') {
  const attach = TRACKING[tracking];
  let count = 0;
  let events = 0;
  const bus = attach.bus ? new lib.FeedbackBus() : null;
  const coordinator = new lib.WriteCoordinator({
    id: 'bench',
    sink: (batch) => {
      count += batch.length;
    },
    capacity: BOUND,
    workers: CONCURRENCY,
    batchSize: BATCH,
    bus,
  });
  const subscriptions = [];
  let last;
  if (attach.listener) subscriptions.push(bus.subscribe(() => events++));
  if (attach.feedback) subscriptions.push(coordinator.feedback$.subscribe(() => events++));
  if (attach.level) subscriptions.push(coordinator.level$.subscribe((level) => (last = level)));
  if (attach.depth) subscriptions.push(coordinator.depth$.subscribe((depth) => (last = depth)));
  void last;
  coordinator.start();
  const t0 = now();
  for (let i = 0; i < n; i++) await coordinator.submit(i);
  const report = await coordinator.stop({ drain: true });
  const ms = now() - t0;
  for (const s of subscriptions) s.unsubscribe();
  checkCount(`WriteCoordinator (${tracking})`, count, n);
  if (report && report.drained === false)
    throw new Error('WriteCoordinator: stop({ drain: true }) did not drain');
  return { value: ms, events };
}
