import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { FeedbackBus, feedbackBus } from '../../lib/feedback/feedback-bus.js';
import { CoordinatorSet } from '../../lib/metrics/coordinator-set.js';
import { MAX_ERROR_TYPES } from '../../lib/metrics/coordinator-tally.js';
import { COLLECTED_METRIC_KEYS, COORDINATOR_METRICS } from '../../lib/metrics/coordinator-metric-catalog.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
beforeEach(() => {
  clock = new VirtualClock();
});

const live: WriteCoordinator<unknown>[] = [];
function make<T>(options: ConstructorParameters<typeof WriteCoordinator<T>>[0]): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({ bus: null, scheduler: clock, ...options });
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
afterEach(async () => {
  await clock.run(Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

describe('CoordinatorSet', () => {
  it('has a sample list for every collected metric, and names every metric once', () => {
    const set = new CoordinatorSet(null, () => undefined);
    expect([...set.samples().keys()]).toEqual(COLLECTED_METRIC_KEYS);
    const names = Object.values(COORDINATOR_METRICS).map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('counts drops by reason from dropped$', async () => {
    const coordinator = make<number>({ sink: () => undefined, capacity: 2, overflow: 'drop-newest' });
    const set = new CoordinatorSet(null, () => undefined);
    set.add(coordinator);
    await coordinator.submitMany([1, 2, 3, 4]);
    await Promise.resolve(); // a new turn: a new snapshot
    expect(set.samples().get('itemsDropped')).toEqual([
      { labels: { coord_id: 'default', reason: 'overflow' }, value: 2 },
    ]);
  });

  it(`keeps at most ${MAX_ERROR_TYPES} error types per coordinator, counting the rest as other`, async () => {
    let call = 0;
    const coordinator = make<number>({
      sink: () => {
        call++;
        throw Object.assign(new Error('bad'), { name: `E${call}`, retryable: false });
      },
      batchSize: 1,
      flushIntervalMs: 0,
      workers: 1,
      circuitBreaker: false,
    });
    const set = new CoordinatorSet(null, () => undefined);
    set.add(coordinator);
    coordinator.start();
    await coordinator.submitMany(Array.from({ length: MAX_ERROR_TYPES + 3 }, (_, i) => i));
    await clock.until(() => coordinator.health().deadLettered === MAX_ERROR_TYPES + 3);
    const samples = set.samples().get('writeErrors')!;
    expect(samples).toHaveLength(MAX_ERROR_TYPES + 1);
    expect(samples.at(-1)).toEqual({ labels: { coord_id: 'default', error_type: 'other' }, value: 3 });
    expect(samples.reduce((sum, s) => sum + s.value, 0)).toBe(coordinator.health().writeErrors);
  });

  it('takes one snapshot per turn of the event loop', async () => {
    const coordinator = make<number>({ sink: () => undefined, capacity: 10 });
    const set = new CoordinatorSet(null, () => undefined);
    set.add(coordinator);
    const first = set.samples();
    void coordinator.submit(1); // accepted synchronously, without leaving this turn
    expect(set.samples()).toBe(first);
    expect(first.get('queueDepth')).toEqual([{ labels: { coord_id: 'default' }, value: 0 }]);
    await Promise.resolve();
    expect(set.samples().get('queueDepth')).toEqual([{ labels: { coord_id: 'default' }, value: 1 }]);
  });

  it("reads the given bus's subscriber count", () => {
    const bus = new FeedbackBus();
    bus.subscribe(() => undefined);
    bus.subscribe(() => undefined);
    expect(new CoordinatorSet(bus, () => undefined).samples().get('feedbackSubscribers')).toEqual([
      { labels: {}, value: 2 },
    ]);
    const processWide = feedbackBus().subscriberCount;
    expect(new CoordinatorSet(feedbackBus(), () => undefined).samples().get('feedbackSubscribers')).toEqual([
      { labels: {}, value: processWide },
    ]);
  });

  it('stops listening to a removed coordinator', async () => {
    const coordinator = make<number>({ sink: () => undefined, capacity: 10 });
    const set = new CoordinatorSet(null, () => undefined);
    set.add(coordinator);
    expect(set.remove(coordinator)).toEqual(['default']);
    expect(set.remove(coordinator)).toEqual([]);
    await coordinator.submitMany([1, 2, 3, 4, 5]); // soft: an event nobody in the set counts
    await Promise.resolve();
    expect(set.samples().get('feedbackEvents')).toEqual([]);
  });
});
