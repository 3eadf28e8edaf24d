import { interval } from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { CircuitState } from '../../lib/circuit-breaker/circuit-breaker.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { FatalError, RetryableError, expectBalanced, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
const live: WriteCoordinator<unknown>[] = [];
function make<T>(options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({
    bus: null,
    autoStart: false,
    scheduler: clock,
    flushIntervalMs: 0,
    batchSize: 1,
    retry: { maxAttempts: 100, initialBackoffMs: 5, maxBackoffMs: 5, jitter: false },
    ...options,
  });
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
beforeEach(() => {
  clock = new VirtualClock();
});
afterEach(async () => {
  await clock.run(Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

/** A sink that fails while `down`, and records the breaker's state at each call. */
function flakySink(getState: () => CircuitState) {
  const sink = {
    down: true,
    calls: [] as { state: CircuitState; at: number }[],
    written: [] as number[],
    write: async (batch: readonly number[]): Promise<void> => {
      sink.calls.push({ state: getState(), at: clock.now() });
      await clock.sleep(10);
      if (sink.down) throw new RetryableError('connection refused, retry later');
      sink.written.push(...batch);
    },
  };
  return sink;
}

describe('WriteCoordinator circuit breaker', () => {
  it('opens after the threshold, writes nothing while open, probes once, closes on success', async () => {
    const sink = flakySink(() => coordinator.health().circuitState);
    const bus = new FeedbackBus();
    const coordinator = make<number>({
      sink: sink.write,
      workers: 3,
      circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 500 },
      bus,
    });
    const events: FeedbackEvent[] = [];
    bus.subscribe((e) => void events.push(e));
    coordinator.start();
    await coordinator.submitMany(range(6));
    await waitFor(() => coordinator.health().circuitState === 'open', 2_000, 'open');
    expect(coordinator.level).toBe('hard');
    const opened = events.at(-1)!;
    expect(opened).toMatchObject({ level: 'hard', reason: 'circuit_open', coordinatorId: 'default' });
    const callsAtOpen = sink.calls.length;
    await clock.advance(100);
    expect(sink.calls.length).toBe(callsAtOpen);
    sink.down = false;
    await waitFor(() => sink.written.length === 6, 5_000, 'all written');
    const halfOpenCalls = sink.calls.filter((c) => c.state === 'half-open');
    expect(halfOpenCalls).toHaveLength(1);
    // The event's ts is the moment the breaker opened (the coordinator's clock).
    expect(halfOpenCalls[0]!.at - opened.ts).toBeGreaterThanOrEqual(500);
    expect(coordinator.health().circuitState).toBe('closed');
    expect(events.at(-1)).toMatchObject({ reason: 'circuit_closed', level: 'ok', previousLevel: 'hard' });
    expect(coordinator.level).toBe('ok');
    expectBalanced(coordinator);
  });

  it('re-opens when the probe fails, and probes once per half-open period', async () => {
    const sink = flakySink(() => coordinator.health().circuitState);
    const coordinator = make<number>({
      sink: sink.write,
      workers: 2,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 100 },
    });
    const reasons: (string | null)[] = [];
    coordinator.feedback$.subscribe((e) => reasons.push(e.reason));
    coordinator.start();
    await coordinator.submitMany(range(4));
    await waitFor(() => coordinator.health().circuitState === 'open', 2_000);
    await waitFor(() => sink.calls.some((c) => c.state === 'half-open'), 2_000, 'first probe');
    await waitFor(() => coordinator.health().circuitState === 'open', 2_000, 're-open');
    expect(sink.calls.filter((c) => c.state === 'half-open')).toHaveLength(1);
    sink.down = false;
    await waitFor(() => sink.written.length === 4, 3_000);
    expect(sink.calls.filter((c) => c.state === 'half-open')).toHaveLength(2);
    expect(reasons).toEqual(['circuit_open', 'circuit_closed']);
  });

  describe('half-open with nothing held', () => {
    /** Submits one item each time the level is not 'hard' (a producer paced by the level). */
    function pacedProducer(coordinator: WriteCoordinator<number>, count: number) {
      let level = 'ok' as BackpressureLevel;
      let next = 0;
      let stopped = false;
      const subscription = coordinator.level$.subscribe((l) => (level = l));
      const done = (async () => {
        while (next < count && !stopped) {
          if (level === 'hard') {
            await clock.sleep(5);
            continue;
          }
          await coordinator.submit(next++);
          await clock.sleep(5);
        }
      })();
      return {
        done,
        stop: () => {
          stopped = true;
          subscription.unsubscribe();
        },
      };
    }

    it('releases the hold so that a paced producer can submit the probe (default retry and breaker)', async () => {
      const sink = flakySink(() => coordinator.health().circuitState);
      const coordinator = make<number>({
        sink: sink.write,
        retry: undefined, // defaults: 5 attempts, backoff from 50 ms
        circuitBreaker: { halfOpenAfterMs: 100 }, // default threshold: 5
      });
      const events: FeedbackEvent[] = [];
      coordinator.feedback$.subscribe((e) => events.push(e));
      coordinator.start();
      await coordinator.submit(-1);
      // The 5th failure opens the breaker and dead-letters the batch: nothing is held.
      await waitFor(() => coordinator.health().deadLettered === 1, 5_000, 'dead-lettered');
      expect(coordinator.health()).toMatchObject({ level: 'hard', circuitState: 'open', queueSize: 0 });
      sink.down = false;
      const producer = pacedProducer(coordinator, 3);
      try {
        await waitFor(() => sink.written.length === 3, 5_000, 'the paced producer to get through');
      } finally {
        producer.stop();
      }
      await clock.run(producer.done);
      expect(events.map((e) => [e.previousLevel, e.level, e.reason, e.queueSize])).toEqual([
        ['ok', 'hard', 'circuit_open', 1], // the batch is still held when its failure opens the breaker
        ['hard', 'ok', 'circuit_half_open', 0],
      ]);
      expect(sink.calls.filter((c) => c.state === 'half-open')).toHaveLength(1);
      expect(coordinator.health()).toMatchObject({ level: 'ok', circuitState: 'closed', written: 3 });
      expectBalanced(coordinator);
    });

    it('holds hard again with circuit_open when the probe fails and re-opens', async () => {
      const sink = flakySink(() => coordinator.health().circuitState);
      const coordinator = make<number>({
        sink: sink.write,
        retry: { maxAttempts: 1 },
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 100 },
      });
      const events: FeedbackEvent[] = [];
      coordinator.feedback$.subscribe((e) => events.push(e));
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => events.length === 2, 3_000, 'half-open release');
      expect(coordinator.health()).toMatchObject({ level: 'ok', circuitState: 'half-open' });
      await coordinator.submit(2); // the probe, which fails
      await waitFor(() => events.length === 3, 3_000, 're-open');
      expect(events.map((e) => [e.level, e.reason])).toEqual([
        ['hard', 'circuit_open'],
        ['ok', 'circuit_half_open'],
        ['hard', 'circuit_open'],
      ]);
      expect(coordinator.health()).toMatchObject({ level: 'hard', circuitState: 'open', deadLettered: 2 });
    });

    it('releases the hold when a probe handed back without an outcome leaves nothing held', async () => {
      const sink = {
        fatal: false,
        write: async (): Promise<void> => {
          await clock.sleep(5);
          if (sink.fatal) throw new FatalError('constraint violation');
          throw new RetryableError('connection refused');
        },
      };
      const coordinator = make<number>({
        sink: sink.write,
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 100 },
      });
      const events: FeedbackEvent[] = [];
      coordinator.feedback$.subscribe((e) => events.push(e));
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => coordinator.health().circuitState === 'open', 2_000, 'open');
      sink.fatal = true; // the probe fails with a non-retryable error: the breaker stays half-open
      await waitFor(() => coordinator.health().deadLettered === 1, 3_000, 'dead-lettered');
      expect(coordinator.health()).toMatchObject({
        level: 'ok',
        circuitState: 'half-open',
        queueSize: 0,
        inFlight: 0,
      });
      expect(events.map((e) => [e.level, e.reason])).toEqual([
        ['hard', 'circuit_open'],
        ['ok', 'circuit_half_open'],
      ]);
    });

    it('keeps hard through half-open while something is held (the probe will run)', async () => {
      const sink = flakySink(() => coordinator.health().circuitState);
      const coordinator = make<number>({
        sink: sink.write,
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 100 },
      });
      const seen: { state: CircuitState; level: BackpressureLevel }[] = [];
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => coordinator.health().circuitState === 'open', 2_000, 'open');
      const sampler = interval(2, clock).subscribe(() => {
        const h = coordinator.health();
        seen.push({ state: h.circuitState, level: h.level });
      });
      try {
        await waitFor(() => sink.calls.some((c) => c.state === 'half-open'), 3_000, 'probe');
        sink.down = false;
        await waitFor(() => sink.written.length === 1, 3_000, 'written');
      } finally {
        sampler.unsubscribe();
      }
      const halfOpen = seen.filter((s) => s.state === 'half-open');
      expect(halfOpen.length).toBeGreaterThan(0);
      expect(halfOpen.every((s) => s.level === 'hard')).toBe(true);
      expect(coordinator.level).toBe('ok');
    });
  });

  it("returns to the depth's own level (soft, hard) with circuit_closed when the queue is deep", async () => {
    for (const [count, level] of [
      [6, 'soft'],
      [9, 'hard'],
    ] as const) {
      const sink = flakySink(() => coordinator.health().circuitState);
      const coordinator = make<number>({
        sink: sink.write,
        workers: 1,
        capacity: 10,
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 150 },
      });
      const events: FeedbackEvent[] = [];
      coordinator.feedback$.subscribe((e) => events.push(e));
      coordinator.start();
      await coordinator.submit(0);
      await waitFor(() => coordinator.health().circuitState === 'open', 2_000, 'open');
      // Deepen the queue behind the open breaker, then let the probe succeed.
      await coordinator.submitMany(range(count - 1, 1));
      sink.down = false;
      await waitFor(() => events.some((e) => e.reason === 'circuit_closed'), 3_000, 'closed');
      const closed = events.find((e) => e.reason === 'circuit_closed')!;
      expect(closed).toMatchObject({ previousLevel: 'hard', level });
      expect(closed.queueSize).toBe(count); // the probe's success closes the breaker before it is counted
    }
  });

  it('does not count non-retryable errors towards opening', async () => {
    const coordinator = make<number>({
      sink: () => {
        throw new FatalError('constraint violation');
      },
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 10_000 },
    });
    coordinator.start();
    await coordinator.submitMany(range(5));
    await waitFor(() => coordinator.health().deadLettered === 5, 2_000);
    expect(coordinator.health().circuitState).toBe('closed');
  });

  it('counts batches waiting on an open breaker as in flight, so the level stays honest', async () => {
    const sink = flakySink(() => coordinator.health().circuitState);
    const coordinator = make<number>({
      sink: sink.write,
      workers: 2,
      capacity: 10,
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 10_000 },
    });
    coordinator.start();
    await coordinator.submitMany(range(6));
    await waitFor(() => coordinator.health().circuitState === 'open', 2_000);
    await clock.advance(20);
    expect(coordinator.health()).toMatchObject({ inFlight: 2, queueSize: 4, busyWorkers: 2, level: 'hard' });
    expectBalanced(coordinator);
  });

  it('publishes circuit_open even when the level is already hard', async () => {
    const sink = flakySink(() => coordinator.health().circuitState);
    const coordinator = make<number>({
      sink: sink.write,
      workers: 1,
      capacity: 10,
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 10_000 },
    });
    const events: FeedbackEvent[] = [];
    coordinator.feedback$.subscribe((e) => events.push(e));
    await coordinator.submitMany(range(9));
    expect(events.map((e) => e.level)).toEqual(['soft', 'hard']);
    coordinator.start();
    await waitFor(() => events.length === 3, 2_000);
    expect(events[2]).toMatchObject({
      previousLevel: 'hard',
      level: 'hard',
      reason: 'circuit_open',
      queueSize: 9,
    });
  });

  it('can be disabled', async () => {
    const coordinator = make<number>({
      sink: () => {
        throw new RetryableError('timeout');
      },
      circuitBreaker: false,
      retry: { maxAttempts: 2, initialBackoffMs: 1, jitter: false },
    });
    coordinator.start();
    await coordinator.submitMany(range(10));
    await waitFor(() => coordinator.health().deadLettered === 10, 2_000);
    expect(coordinator.health()).toMatchObject({ circuitState: 'closed', writeErrors: 20 });
  });
});
