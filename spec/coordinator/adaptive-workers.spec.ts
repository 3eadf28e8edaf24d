import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { RetryableError, expectBalanced, range } from './helpers.js';

const live: { coordinator: WriteCoordinator<unknown>; clock: VirtualClock }[] = [];
function make<T>(clock: VirtualClock, options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({
    bus: null,
    scheduler: clock,
    capacity: 100_000,
    batchSize: 1,
    flushIntervalMs: 0,
    circuitBreaker: false,
    ...options,
  });
  live.push({ coordinator: coordinator as WriteCoordinator<unknown>, clock });
  return coordinator;
}
afterEach(async () => {
  for (const { coordinator, clock } of live.splice(0)) {
    const stopped = coordinator.stop({ drain: false, timeoutMs: 0 });
    await clock.advance(1);
    await stopped;
  }
});

/**
 * A store on the virtual clock whose write takes 10 ms × max(1, inFlight / 4)², inFlight counted
 * when the write starts: 4 at once is its best throughput. It records, at each start, the writes
 * running and the coordinator's limit then.
 */
function contendedStore(clock: VirtualClock, limit: () => number) {
  const store = {
    inFlight: 0,
    written: 0,
    starts: [] as { inFlight: number; limit: number }[],
    fail: false,
    write: (batch: readonly number[]): Promise<void> => {
      store.inFlight++;
      store.starts.push({ inFlight: store.inFlight, limit: limit() });
      const ms = 10 * Math.max(1, store.inFlight / 4) ** 2;
      return new Promise<void>((resolve, reject) => {
        clock.schedule(() => {
          store.inFlight--;
          if (store.fail) {
            reject(new RetryableError('too many connections, retry later'));
            return;
          }
          store.written += batch.length;
          resolve();
        }, ms);
      });
    },
  };
  return store;
}

function limitsOf(records: readonly WriteRecord[]): number[] {
  return records.map((r) => r.concurrencyLimit);
}

describe('WriteCoordinator with adaptive workers', () => {
  it('finds the store’s best concurrency from initial 1, and holds it', async () => {
    const clock = new VirtualClock();
    const coordinator: WriteCoordinator<number> = make<number>(clock, {
      sink: (batch) => store.write(batch),
      workers: { min: 1, max: 32, initial: 1 },
    });
    const store = contendedStore(clock, () => coordinator.health().concurrencyLimit);
    const records: WriteRecord[] = [];
    coordinator.writes$.subscribe((r) => records.push(r));
    await coordinator.submitMany(range(50_000));
    await clock.advance(3_000);
    const settled = records.length;
    await clock.advance(3_000);
    const later = limitsOf(records.slice(settled));
    expect(later.length).toBeGreaterThan(1_000);
    expect(later.filter((l) => l === 4).length / later.length).toBeGreaterThan(0.95);
    expect(Math.max(...later)).toBeLessThanOrEqual(5);
    expect(coordinator.health()).toMatchObject({ workers: 32, concurrencyLimit: 4 });
  });

  it('comes down from initial 32 to the store’s best concurrency', async () => {
    const clock = new VirtualClock();
    const coordinator: WriteCoordinator<number> = make<number>(clock, {
      sink: (batch) => store.write(batch),
      workers: { min: 1, max: 32, initial: 32 },
    });
    const store = contendedStore(clock, () => coordinator.health().concurrencyLimit);
    const records: WriteRecord[] = [];
    coordinator.writes$.subscribe((r) => records.push(r));
    await coordinator.submitMany(range(50_000));
    await clock.advance(10);
    // The first round measures the unloaded latency at min, then the limit starts at initial.
    expect(coordinator.health().concurrencyLimit).toBe(32);
    expect(Math.max(...store.starts.map((s) => s.inFlight))).toBe(32);
    await clock.advance(3_000);
    const settled = records.length;
    await clock.advance(3_000);
    const later = limitsOf(records.slice(settled));
    expect(later.filter((l) => l === 4).length / later.length).toBeGreaterThan(0.95);
    expect(Math.max(...later)).toBeLessThanOrEqual(5);
  });

  it('never starts a write beyond the limit in force', async () => {
    const clock = new VirtualClock();
    const coordinator: WriteCoordinator<number> = make<number>(clock, {
      sink: (batch) => store.write(batch),
      workers: { min: 2, max: 16, initial: 16 },
    });
    const store = contendedStore(clock, () => coordinator.health().concurrencyLimit);
    await coordinator.submitMany(range(20_000));
    await clock.advance(4_000);
    expect(store.starts.length).toBeGreaterThan(500);
    expect(store.starts.every((s) => s.inFlight <= s.limit)).toBe(true);
    expect(new Set(store.starts.map((s) => s.limit)).size).toBeGreaterThan(2);
    expectBalanced(coordinator);
  });

  it('multiplies the limit down when writes fail, down to min, and loses nothing', async () => {
    const clock = new VirtualClock();
    const coordinator: WriteCoordinator<number> = make<number>(clock, {
      sink: (batch) => store.write(batch),
      workers: { min: 2, max: 16, initial: 4 },
      retry: { maxAttempts: 1_000, initialBackoffMs: 20, maxBackoffMs: 20, jitter: false },
    });
    const store = contendedStore(clock, () => coordinator.health().concurrencyLimit);
    await coordinator.submitMany(range(5_000));
    await clock.advance(2_000);
    const before = coordinator.health().concurrencyLimit;
    expect(before).toBeGreaterThanOrEqual(4);
    store.fail = true;
    await clock.advance(1_000);
    expect(coordinator.health().concurrencyLimit).toBe(2);
    store.fail = false;
    await clock.until(() => coordinator.health().written === 5_000, 60_000, 'every item written');
    expect(coordinator.health().deadLettered).toBe(0);
    expectBalanced(coordinator);
  });

  it('reports a fixed worker count as the limit, and runs exactly that many writes at once', async () => {
    const clock = new VirtualClock();
    const coordinator: WriteCoordinator<number> = make<number>(clock, {
      sink: (batch) => store.write(batch),
      workers: 8,
    });
    const store = contendedStore(clock, () => coordinator.health().concurrencyLimit);
    const records: WriteRecord[] = [];
    coordinator.writes$.subscribe((r) => records.push(r));
    await coordinator.submitMany(range(2_000));
    await clock.advance(2_000);
    expect(records.length).toBeGreaterThan(100);
    expect(new Set(limitsOf(records))).toEqual(new Set([8]));
    expect(Math.max(...store.starts.map((s) => s.inFlight))).toBe(8);
    expect(coordinator.health()).toMatchObject({ workers: 8, concurrencyLimit: 8 });
  });
});
