import { TestScheduler } from 'rxjs/testing';
import { Subject } from 'rxjs';
import { DRAIN_RATE_SAMPLE_MS, DRAIN_RATE_WINDOW_MS, drainRateOf } from '../../lib/coordinator/drain-rate.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';
import { range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

const written = (size: number): WriteRecord => ({
  coordinatorId: 'db',
  size,
  attempts: 1,
  durationMs: 1,
  outcome: 'written',
  concurrencyLimit: 4,
});

describe('drainRateOf', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const alpha = 1 - Math.exp(-DRAIN_RATE_SAMPLE_MS / DRAIN_RATE_WINDOW_MS);

  it('emits 0 on subscribe, then the bias-corrected EWMA of items written per second every sample', () => {
    const writes$ = new Subject<WriteRecord>();
    const seen: [number, number][] = [];
    testScheduler.run(() => {
      const subscription = drainRateOf(writes$, testScheduler).subscribe((rate) =>
        seen.push([testScheduler.now(), rate]),
      );
      // 50 items in the first sample (500 / s), 100 in the second (1 000 / s), none in the third
      testScheduler.schedule(() => writes$.next(written(50)), 10);
      testScheduler.schedule(() => {
        writes$.next(written(60));
        writes$.next(written(40));
      }, 150);
      testScheduler.schedule(() => subscription.unsubscribe(), 301);
    });
    const e1 = alpha * 500;
    const e2 = e1 + alpha * (1_000 - e1);
    const e3 = e2 + alpha * (0 - e2);
    const d = 1 - alpha;
    expect(seen.map(([t]) => t)).toEqual([0, 100, 200, 300]);
    expect(seen[0]![1]).toBe(0);
    expect(seen[1]![1]).toBeCloseTo(500, 6); // bias-corrected: the first sample is the rate seen
    expect(seen[2]![1]).toBeCloseTo(e2 / (1 - d * d), 6);
    expect(seen[3]![1]).toBeCloseTo(e3 / (1 - d * d * d), 6);
  });

  it('follows a steady rate, whatever it started from', () => {
    const writes$ = new Subject<WriteRecord>();
    let last = 0;
    testScheduler.run(() => {
      const subscription = drainRateOf(writes$, testScheduler).subscribe((rate) => (last = rate));
      for (let t = 5; t < 3_000; t += 10) testScheduler.schedule(() => writes$.next(written(20)), t);
      testScheduler.schedule(() => subscription.unsubscribe(), 3_001);
    });
    expect(last).toBeCloseTo(2_000, 6); // 20 items every 10 ms
  });

  it('counts written batches only', () => {
    const writes$ = new Subject<WriteRecord>();
    const seen: number[] = [];
    testScheduler.run(() => {
      const subscription = drainRateOf(writes$, testScheduler).subscribe((rate) => seen.push(rate));
      testScheduler.schedule(
        () => writes$.next({ ...written(100), outcome: 'dead-lettered', reason: 'non_retryable' }),
        10,
      );
      testScheduler.schedule(() => subscription.unsubscribe(), 101);
    });
    expect(seen).toEqual([0, 0]);
  });

  it('completes and errors with writes$ and stops its timer', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      expectObservable(drainRateOf(hot<WriteRecord>('--|'), testScheduler)).toBe('0-|', { 0: 0 });
      expectObservable(drainRateOf(hot<WriteRecord>('--#'), testScheduler)).toBe('0-#', { 0: 0 });
    });
    expect(testScheduler.actions).toHaveLength(0);
  });

  it('stops its timer when unsubscribed', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      expectObservable(drainRateOf(hot<WriteRecord>('-'), testScheduler), '^ 150ms !').toBe('0 99ms 0', {
        0: 0,
      });
    });
    expect(testScheduler.actions).toHaveLength(0);
  });
});

describe('WriteCoordinator.drainRate$', () => {
  it('measures the items its sink writes and completes at stop', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => undefined,
      bus: null,
      batchSize: 10,
      scheduler: clock,
    });
    const rates: number[] = [];
    let completed = false;
    const subscription = coordinator.drainRate$.subscribe({
      next: (r) => rates.push(r),
      complete: () => (completed = true),
    });
    try {
      coordinator.start();
      await coordinator.submitMany(range(50));
      await clock.until(() => rates.some((r) => r > 0), 5_000, 'a drain-rate sample above 0');
      expect(rates[0]).toBe(0);
      await clock.run(coordinator.stop());
      expect(completed).toBe(true);
    } finally {
      subscription.unsubscribe();
      await clock.run(coordinator.stop());
    }
  });
});
