import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import {
  isCoordinatorClosedError,
  CoordinatorClosedError,
} from '../../lib/errors/coordinator-closed-error.js';
import { isBackpressureError } from '../../lib/errors/backpressure-error.js';
import { RecordingSink, RetryableError, expectBalanced, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
const live: WriteCoordinator<unknown>[] = [];
function make<T>(options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({ bus: null, autoStart: false, scheduler: clock, ...options });
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
beforeEach(() => {
  clock = new VirtualClock();
});
afterEach(async () => {
  await clock.run(Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

const hanging = () => new Promise<void>(() => undefined);

describe('WriteCoordinator lifecycle', () => {
  describe('stop({ drain: true })', () => {
    it('writes everything, partial batches at once, and reports it', async () => {
      const sink = new RecordingSink<number>(clock, () => clock.sleep(5));
      const coordinator = make<number>({ sink: sink.write, batchSize: 10, flushIntervalMs: 10_000 });
      coordinator.start();
      await coordinator.submitMany(range(25));
      const started = clock.now();
      const report = await clock.run(coordinator.stop());
      // Not a flush interval: the partial batch goes at once, three 5 ms writes at most one after another.
      expect(clock.now() - started).toBeLessThanOrEqual(15);
      expect(report).toEqual({
        drained: true,
        writtenDuringStop: 25,
        deadLetteredDuringStop: 0,
        written: 25,
        deadLettered: 0,
        durationMs: expect.any(Number) as number,
      });
      expect(sink.items.sort((a, b) => a - b)).toEqual(range(25));
      expect(coordinator.health()).toMatchObject({ state: 'stopped', queueSize: 0, inFlight: 0 });
    });

    it('returns near its timeout with a hanging sink and dead-letters the rest with reason shutdown', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const signals: AbortSignal[] = [];
      const coordinator = make<number>({
        sink: (_batch, { signal }) => {
          signals.push(signal);
          return hanging(); // ignores its signal
        },
        batchSize: 5,
        workers: 2,
        deadLetter,
      });
      coordinator.start();
      await coordinator.submitMany(range(20));
      const started = clock.now();
      const report = await clock.run(coordinator.stop({ timeoutMs: 200 }));
      expect(clock.now() - started).toBe(200);
      expect(report).toMatchObject({ drained: false, written: 0, deadLettered: 20 });
      expect(deadLetter.records.every((r) => r.reason === 'shutdown')).toBe(true);
      expect(deadLetter.records.flatMap((r) => r.items).sort((a, b) => a - b)).toEqual(range(20));
      expect(deadLetter.records[0]!.error.name).toBe('CoordinatorClosedError');
      expect(signals).toHaveLength(2);
      expect(signals.every((s) => s.aborted && isCoordinatorClosedError(s.reason))).toBe(true);
      expect(coordinator.health()).toMatchObject({ queueSize: 0, inFlight: 0, busyWorkers: 0 });
      expectBalanced(coordinator);
    });

    it('waits for an open breaker up to the timeout, then gives up promptly', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const coordinator = make<number>({
        sink: () => {
          throw new RetryableError('service busy');
        },
        flushIntervalMs: 0,
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 60_000 },
        retry: { maxAttempts: 10, initialBackoffMs: 1, jitter: false },
        deadLetter,
      });
      coordinator.start();
      await coordinator.submitMany(range(3));
      await waitFor(() => coordinator.health().circuitState === 'open', 1_000);
      const started = clock.now();
      const report = await clock.run(coordinator.stop({ timeoutMs: 150 }));
      expect(clock.now() - started).toBe(150);
      expect(report).toMatchObject({ drained: false, deadLettered: 3 });
      expect(deadLetter.records.every((r) => r.reason === 'shutdown')).toBe(true);
    });

    it('keeps retrying while draining, within the timeout', async () => {
      let calls = 0;
      const coordinator = make<number>({
        sink: () => {
          if (++calls < 3) throw new RetryableError('retry');
        },
        retry: { initialBackoffMs: 10, jitter: false },
        circuitBreaker: false,
      });
      coordinator.start();
      await coordinator.submit(1);
      const report = await clock.run(coordinator.stop({ timeoutMs: 2_000 }));
      expect(report).toMatchObject({ drained: true, written: 1 });
      expect(calls).toBe(3);
    });
  });

  describe('stop({ drain: false })', () => {
    it('dead-letters queued items at once and lets the write in progress finish', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const sink = new RecordingSink<number>(clock, (_b, { signal }) => clock.sleep(60, signal));
      const coordinator = make<number>({
        sink: sink.write,
        batchSize: 5,
        workers: 1,
        flushIntervalMs: 0,
        deadLetter,
      });
      const records: WriteRecord[] = [];
      coordinator.writes$.subscribe((r) => records.push(r));
      coordinator.start();
      await coordinator.submitMany(range(15));
      await waitFor(() => coordinator.health().inFlight === 5, 1_000);
      const stopping = coordinator.stop({ drain: false, timeoutMs: 2_000 });
      expect(deadLetter.records.map((r) => [r.reason, r.attempts, r.items.length])).toEqual([
        ['shutdown', 0, 5],
        ['shutdown', 0, 5],
      ]);
      const report = await clock.run(stopping);
      expect(report).toMatchObject({ drained: false, written: 5, deadLettered: 10 });
      expect(sink.items).toEqual(range(5));
      expect(records.filter((r) => r.outcome === 'dead-lettered')).toHaveLength(2);
    });

    it('makes no new retry: a failing write in progress is dead-lettered', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      let calls = 0;
      const coordinator = make<number>({
        sink: async () => {
          calls++;
          await clock.sleep(40);
          throw new RetryableError('timeout');
        },
        flushIntervalMs: 0,
        deadLetter,
      });
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => calls === 1, 1_000);
      const report = await clock.run(coordinator.stop({ drain: false, timeoutMs: 2_000 }));
      expect(calls).toBe(1);
      expect(report.deadLettered).toBe(1);
      expect(deadLetter.records[0]).toMatchObject({
        reason: 'shutdown',
        attempts: 1,
        error: { message: 'timeout' },
      });
    });

    it('ends the wait on an open breaker at once', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const coordinator = make<number>({
        sink: () => {
          throw new RetryableError('service busy');
        },
        flushIntervalMs: 0,
        workers: 2,
        circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 60_000 },
        retry: { maxAttempts: 10, initialBackoffMs: 1, jitter: false },
        deadLetter,
      });
      coordinator.start();
      await coordinator.submitMany(range(5));
      await waitFor(() => coordinator.health().circuitState === 'open', 1_000);
      await clock.advance(10);
      const started = clock.now();
      const report = await clock.run(coordinator.stop({ drain: false, timeoutMs: 5_000 }));
      expect(clock.now() - started).toBe(0);
      expect(report).toMatchObject({ drained: false, written: 0, deadLettered: 5 });
      expect(deadLetter.records.every((r) => r.reason === 'shutdown')).toBe(true);
      expect(coordinator.health()).toMatchObject({ queueSize: 0, inFlight: 0 });
    });

    it('ends the waits of many workers without piling listeners on one signal', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const coordinator = make<number>({
          sink: () => {
            throw new RetryableError('busy');
          },
          flushIntervalMs: 0,
          batchSize: 1,
          workers: 16,
          circuitBreaker: false,
          retry: { initialBackoffMs: 5_000, maxBackoffMs: 5_000, jitter: false },
        });
        coordinator.start();
        await coordinator.submitMany(range(16));
        await waitFor(() => coordinator.health().writeErrors === 16, 1_000);
        const report = await clock.run(coordinator.stop({ drain: false }));
        await clock.advance(10);
        expect(report.deadLettered).toBe(16);
        expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('dead-letters at once a batch waiting on backoff', async () => {
      const coordinator = make<number>({
        sink: () => {
          throw new RetryableError('busy');
        },
        flushIntervalMs: 0,
        retry: { initialBackoffMs: 5_000, maxBackoffMs: 5_000, jitter: false },
      });
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => coordinator.health().writeErrors === 1, 1_000);
      const started = clock.now();
      const report = await clock.run(coordinator.stop({ drain: false, timeoutMs: 5_000 }));
      expect(clock.now() - started).toBe(0);
      expect(report).toMatchObject({ deadLettered: 1, drained: false });
    });
  });

  describe('one deadline', () => {
    it('gives the dead-letter puts what is left of timeoutMs, not another timeoutMs', async () => {
      const coordinator = make<number>({
        sink: hanging, // ignores its signal
        flushIntervalMs: 0,
        deadLetter: { put: () => new Promise<void>(() => undefined) },
      });
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => coordinator.health().inFlight === 1, 1_000);
      const started = clock.now();
      const report = await clock.run(coordinator.stop({ timeoutMs: 300 }));
      expect(clock.now() - started).toBe(300); // two timeouts back to back would take 600
      expect(report).toMatchObject({ drained: false, deadLettered: 1 });
      expect(coordinator.unsavedDeadLetters).toEqual([expect.objectContaining({ items: [1] })]);
      expect(coordinator.health().deadLetterFailures).toBe(1);
    });

    it('still lets puts that settle at once in, when the drain used up the whole timeout', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const coordinator = make<number>({
        sink: hanging,
        flushIntervalMs: 0,
        deadLetter: { put: async (record) => deadLetter.put(record) },
      });
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => coordinator.health().inFlight === 1, 1_000);
      await clock.run(coordinator.stop({ timeoutMs: 50 }));
      expect(deadLetter.records).toEqual([expect.objectContaining({ reason: 'shutdown', items: [1] })]);
      expect(coordinator.health().deadLetterFailures).toBe(0);
    });
  });

  it('reports a truthful health after stop when the breaker was open', async () => {
    const coordinator = make<number>({
      sink: () => {
        throw new RetryableError('service busy');
      },
      flushIntervalMs: 0,
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 60_000 },
      retry: { maxAttempts: 10, initialBackoffMs: 1, jitter: false },
    });
    const events: [string, string | null][] = [];
    let completed = false;
    coordinator.feedback$.subscribe({
      next: (e) => events.push([e.level, e.reason]),
      complete: () => (completed = true),
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => coordinator.health().circuitState === 'open', 1_000);
    expect(coordinator.level).toBe('hard');
    await clock.run(coordinator.stop({ drain: false, timeoutMs: 100 }));
    expect(coordinator.health()).toMatchObject({
      state: 'stopped',
      level: 'ok',
      circuitState: 'closed',
      queueSize: 0,
      inFlight: 0,
    });
    expect(coordinator.level).toBe('ok');
    expect(events).toEqual([
      ['hard', 'circuit_open'],
      ['ok', 'circuit_closed'],
    ]);
    expect(completed).toBe(true);
  });

  it('drains with submits blocked for room: they are refused, what was held is written', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sink = new RecordingSink<number>(clock, () => gate);
    const coordinator = make<number>({ sink: sink.write, capacity: 4, batchSize: 2, flushIntervalMs: 0 });
    coordinator.start();
    await coordinator.submitMany(range(4));
    const blocked = [coordinator.submit(4), coordinator.submit(5)].map((p) => p.catch((e: unknown) => e));
    const stopping = coordinator.stop({ timeoutMs: 2_000 });
    const refusals = await Promise.all(blocked);
    expect(refusals.every((e) => isCoordinatorClosedError(e))).toBe(true);
    expect(refusals[0]).toBe(refusals[1]); // one shared error: refusing stays O(1) each
    release();
    const report = await clock.run(stopping);
    expect(report).toMatchObject({ drained: true, written: 4, deadLettered: 0 });
    expect(sink.items.sort((a, b) => a - b)).toEqual(range(4));
    expect(coordinator.health()).toMatchObject({ submitted: 6, rejected: 2 });
    expectBalanced(coordinator);
  });

  it('refuses submits after stop with CoordinatorClosedError, counted as rejected', async () => {
    const coordinator = make<number>({ sink: () => undefined });
    coordinator.start();
    await clock.run(coordinator.stop());
    const error: unknown = await coordinator.submit(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoordinatorClosedError);
    expect(isCoordinatorClosedError(error)).toBe(true);
    expect(isBackpressureError(error)).toBe(true);
    expect((error as CoordinatorClosedError).coordinatorId).toBe('default');
    await expect(coordinator.submitMany([1, 2])).rejects.toThrow(CoordinatorClosedError);
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 2 });
  });

  it('refuses submits at once while stopping', async () => {
    const coordinator = make<number>({ sink: () => clock.sleep(50), flushIntervalMs: 0 });
    coordinator.start();
    await coordinator.submit(1);
    const stopping = coordinator.stop();
    await expect(coordinator.submit(2)).rejects.toThrow(CoordinatorClosedError);
    expect(coordinator.state).toBe('stopping');
    await clock.run(stopping);
    expect(coordinator.state).toBe('stopped');
  });

  it('rejects submits still waiting for room when stop is called', async () => {
    const coordinator = make<number>({ sink: hanging, capacity: 1 });
    await coordinator.submit(1);
    const waiting = coordinator.submit(2).catch((e: unknown) => e);
    await clock.run(coordinator.stop({ drain: false, timeoutMs: 50 }));
    expect(isCoordinatorClosedError(await waiting)).toBe(true);
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 1, deadLettered: 1 });
    expectBalanced(coordinator);
  });

  it('throws on start after stop; start is idempotent before that', async () => {
    const coordinator = make<number>({ sink: () => undefined });
    coordinator.start();
    coordinator.start();
    expect(coordinator.state).toBe('running');
    await clock.run(coordinator.stop());
    expect(() => coordinator.start()).toThrow(CoordinatorClosedError);
  });

  it("returns the first call's report to every stop call, ignoring later options", async () => {
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const sink = new RecordingSink<number>(clock, () => clock.sleep(20));
    const coordinator = make<number>({ sink: sink.write, deadLetter, flushIntervalMs: 10_000 });
    await coordinator.submitMany(range(3));
    const first = coordinator.stop();
    const second = coordinator.stop({ drain: false, timeoutMs: -1 }); // not even checked
    expect(second).toBe(first);
    expect(await clock.run(second)).toMatchObject({ drained: true, written: 3, deadLettered: 0 });
    expect(deadLetter.size).toBe(0);
  });

  it('works before start: drain writes what was queued', async () => {
    const sink = new RecordingSink<number>(clock);
    const coordinator = make<number>({ sink: sink.write, flushIntervalMs: 10_000 });
    await coordinator.submitMany(range(3));
    const report = await clock.run(coordinator.stop());
    expect(report).toMatchObject({ drained: true, written: 3 });
    expect(sink.items).toEqual(range(3));
  });

  it('works before start: without drain, what was queued is dead-lettered', async () => {
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const coordinator = make<number>({ sink: () => undefined, deadLetter });
    await coordinator.submitMany(range(3));
    const report = await clock.run(coordinator.stop({ drain: false }));
    expect(report).toMatchObject({ drained: false, written: 0, deadLettered: 3 });
    expect(deadLetter.records[0]).toMatchObject({ reason: 'shutdown', attempts: 0, items: range(3) });
  });

  it('is stopped by await using', async () => {
    const sink = new RecordingSink<number>(clock);
    let escaped!: WriteCoordinator<number>;
    {
      // tsc accepts it (the method comes from an interface merged into the class); the lint rule misses that.
      // eslint-disable-next-line @typescript-eslint/await-thenable
      await using coordinator = new WriteCoordinator<number>({
        sink: sink.write,
        bus: null,
        scheduler: clock,
        flushIntervalMs: 10_000,
      });
      escaped = coordinator;
      coordinator.start();
      await coordinator.submitMany(range(4));
    }
    expect(escaped.state).toBe('stopped');
    expect(sink.items).toEqual(range(4));
  });

  it('rejects bad stop options (never throws)', async () => {
    const coordinator = make<number>({ sink: () => undefined });
    await expect(coordinator.stop({ timeoutMs: -1 })).rejects.toThrow(
      'timeoutMs must be a finite number within [0, 2147483647], found -1',
    );
    await expect(coordinator.stop({ timeoutMs: 2 ** 31 })).rejects.toThrow(
      'timeoutMs must be a finite number within [0, 2147483647], found 2147483648',
    );
    await expect(coordinator.stop({ drain: 'yes' as unknown as boolean })).rejects.toThrow(
      'drain must be a boolean, found string "yes"',
    );
  });
});
