import { LevelClock } from '../../lib/coordinator/level-clock.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { manualClock } from '../support/manual-clock.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { range } from './helpers.js';

describe('LevelClock', () => {
  it('adds up the time in each level, the running one included', () => {
    const clock = manualClock(1_000);
    const levels = new LevelClock(clock.scheduler);
    clock.advance(30);
    levels.enter('soft');
    clock.advance(20);
    levels.enter('hard');
    clock.advance(5);
    expect(levels.read()).toEqual({ ok: 30, soft: 20, hard: 5 });
    levels.enter('ok');
    clock.advance(7);
    expect(levels.read()).toEqual({ ok: 37, soft: 20, hard: 5 });
  });

  it('ignores entering the level it is already in', () => {
    const clock = manualClock();
    const levels = new LevelClock(clock.scheduler);
    clock.advance(10);
    levels.enter('ok');
    clock.advance(10);
    expect(levels.read()).toEqual({ ok: 20, soft: 0, hard: 0 });
  });

  it('counts nothing after stop', () => {
    const clock = manualClock();
    const levels = new LevelClock(clock.scheduler);
    levels.enter('hard');
    clock.advance(10);
    levels.stop();
    clock.advance(50);
    levels.enter('ok');
    clock.advance(50);
    expect(levels.read()).toEqual({ ok: 0, soft: 0, hard: 10 });
  });

  it('never shrinks a total when the clock goes backwards', () => {
    const clock = manualClock(100);
    const levels = new LevelClock(clock.scheduler);
    clock.advance(-50);
    expect(levels.read()).toEqual({ ok: 0, soft: 0, hard: 0 });
    levels.enter('soft');
    clock.advance(5);
    expect(levels.read()).toEqual({ ok: 0, soft: 5, hard: 0 });
  });
});

describe('WriteCoordinator health().timeInLevelMs', () => {
  let clock: VirtualClock;
  const live: WriteCoordinator<unknown>[] = [];
  beforeEach(() => {
    clock = new VirtualClock();
  });
  afterEach(async () => {
    await clock.run(Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
  });

  it('follows the depth: ok until filled, soft and hard while full, up to the health() call', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coordinator = new WriteCoordinator<number>({
      sink: () => gate,
      capacity: 10,
      batchSize: 10,
      workers: 1,
      flushIntervalMs: 0,
      bus: null,
      scheduler: clock,
    });
    live.push(coordinator as WriteCoordinator<unknown>);
    await clock.advance(40);
    await coordinator.submitMany(range(5)); // 50%: soft
    await clock.advance(30);
    await coordinator.submitMany(range(4)); // 90%: hard
    await clock.advance(20);
    expect(coordinator.health().timeInLevelMs).toEqual({ ok: 40, soft: 30, hard: 20 });
    coordinator.start();
    release();
    await clock.until(() => coordinator.health().written === 9, 5_000, 'the batch to be written');
    await clock.advance(15);
    expect(coordinator.health().timeInLevelMs).toEqual({ ok: 55, soft: 30, hard: 20 });
  });

  it('counts the breaker holding the level at hard, and stops counting at stop', async () => {
    let calls = 0;
    const coordinator = new WriteCoordinator<number>({
      sink: async () => {
        calls++;
        await clock.sleep(100);
        if (calls === 1) throw Object.assign(new Error('connection reset'), { retryable: true });
      },
      capacity: 100,
      batchSize: 10,
      workers: 1,
      flushIntervalMs: 0,
      retry: { maxAttempts: 3, initialBackoffMs: 1, jitter: false },
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 5 },
      bus: null,
      scheduler: clock,
    });
    live.push(coordinator as WriteCoordinator<unknown>);
    coordinator.start();
    await coordinator.submit(1);
    await clock.until(() => coordinator.health().written === 1, 5_000, 'the probe to write the item');
    // Opened at 100 ms (after the first call), half-open at 105 ms, closed by the 100 ms probe at 205 ms.
    expect(coordinator.health().timeInLevelMs).toEqual({ ok: 100, soft: 0, hard: 105 });
    await clock.run(coordinator.stop());
    await clock.advance(1_000);
    expect(coordinator.health().timeInLevelMs).toEqual({ ok: 100, soft: 0, hard: 105 });
  });
});
