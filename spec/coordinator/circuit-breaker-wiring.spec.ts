import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { CircuitState } from '../../lib/circuit-breaker/circuit-breaker.js';
import { FatalError, RetryableError, delay, expectBalanced, range, waitFor } from './helpers.js';

const live: WriteCoordinator<unknown>[] = [];
function make<T>(options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({
    bus: null,
    flushIntervalMs: 0,
    batchSize: 1,
    retry: { maxAttempts: 100, initialBackoffMs: 5, maxBackoffMs: 5, jitter: false },
    ...options,
  });
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
afterEach(async () => {
  await Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 })));
});

/** A sink that fails while `down`, and records the breaker's state at each call. */
function flakySink(getState: () => CircuitState) {
  const sink = {
    down: true,
    calls: [] as { state: CircuitState; at: number }[],
    written: [] as number[],
    write: async (batch: readonly number[]): Promise<void> => {
      sink.calls.push({ state: getState(), at: Date.now() });
      await delay(10);
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
      circuitBreaker: { failureThreshold: 3, halfOpenAfterMs: 200 },
      bus,
    });
    const events: FeedbackEvent[] = [];
    bus.subscribe((e) => void events.push(e));
    coordinator.start();
    await coordinator.submitMany(range(6));
    await waitFor(() => coordinator.health().circuitState === 'open', 2_000, 'open');
    const openedAt = Date.now();
    expect(coordinator.level).toBe('hard');
    expect(events.at(-1)).toMatchObject({ level: 'hard', reason: 'circuit_open', coordinatorId: 'default' });
    const callsAtOpen = sink.calls.length;
    await delay(120);
    expect(sink.calls.length).toBe(callsAtOpen);
    sink.down = false;
    await waitFor(() => sink.written.length === 6, 3_000, 'all written');
    const halfOpenCalls = sink.calls.filter((c) => c.state === 'half-open');
    expect(halfOpenCalls).toHaveLength(1);
    expect(halfOpenCalls[0]!.at - openedAt).toBeGreaterThanOrEqual(150);
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
    await delay(20);
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
