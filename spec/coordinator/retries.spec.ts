import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { CoordinatorErrorReport } from '../../lib/coordinator/coordinator-error-report.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import type { DeadLetterRecord } from '../../lib/dead-letter/dead-letter-record.js';
import { isWriteTimeoutError } from '../../lib/errors/write-timeout-error.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { FatalError, RecordingSink, RetryableError, expectBalanced, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
const live: WriteCoordinator<unknown>[] = [];
function make<T>(options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({
    bus: null,
    scheduler: clock,
    circuitBreaker: false,
    flushIntervalMs: 5,
    retry: { maxAttempts: 3, initialBackoffMs: 5, jitter: false },
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

describe('WriteCoordinator retries', () => {
  it('loses nothing when the sink fails twice and then succeeds', async () => {
    let failures = 0;
    const sink = new RecordingSink<number>(clock, () => {
      if (failures < 2) {
        failures++;
        throw new RetryableError('temporarily unavailable');
      }
    });
    const coordinator = make<number>({ sink: sink.write, workers: 1, batchSize: 10 });
    const records: WriteRecord[] = [];
    coordinator.writes$.subscribe((r) => records.push(r));
    coordinator.start();
    await coordinator.submitMany(range(10));
    await waitFor(() => sink.items.length === 10, 2_000);
    expect(sink.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(records).toEqual([expect.objectContaining({ outcome: 'written', attempts: 3, size: 10 })]);
    expect(coordinator.health()).toMatchObject({
      written: 10,
      deadLettered: 0,
      writeErrors: 2,
      batchesWritten: 1,
    });
  });

  it('dead-letters each batch after maxAttempts, and keeps writing once the sink recovers', async () => {
    let down = true;
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const sink = new RecordingSink<number>(clock, () => {
      if (down) throw new RetryableError('connection reset, retry');
    });
    const coordinator = make<number>({ sink: sink.write, workers: 1, batchSize: 5, deadLetter });
    coordinator.start();
    await coordinator.submitMany(range(10));
    await waitFor(() => deadLetter.size === 2, 2_000);
    expect(deadLetter.records.map((r) => [r.reason, r.attempts, r.items])).toEqual([
      ['retries_exhausted', 3, range(5)],
      ['retries_exhausted', 3, range(5, 5)],
    ]);
    expect(deadLetter.records[0]!.error).toEqual({
      name: 'RetryableError',
      message: 'connection reset, retry',
    });
    down = false;
    await coordinator.submitMany(range(5, 100));
    await waitFor(() => sink.items.length === 5, 2_000);
    expect(sink.items).toEqual(range(5, 100));
    expect(coordinator.health()).toMatchObject({ written: 5, deadLettered: 10, writeErrors: 6 });
    expectBalanced(coordinator);
  });

  it('dead-letters a non-retryable error at once', async () => {
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const sink = new RecordingSink<number>(clock, () => {
      throw new FatalError('duplicate key');
    });
    const coordinator = make<number>({ sink: sink.write, deadLetter });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => deadLetter.size === 1, 2_000);
    expect(sink.calls).toHaveLength(1);
    expect(deadLetter.records[0]).toMatchObject({ reason: 'non_retryable', attempts: 1, items: [1] });
  });

  it('aborts a hanging write at writeTimeoutMs and retries it', async () => {
    const signals: AbortSignal[] = [];
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const coordinator = make<number>({
      // Ignores its signal on purpose: the coordinator must not wait for it.
      sink: (_batch, { signal }) => {
        signals.push(signal);
        return new Promise<void>(() => undefined);
      },
      writeTimeoutMs: 50,
      retry: { maxAttempts: 2, initialBackoffMs: 5, jitter: false },
      deadLetter,
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => deadLetter.size === 1, 3_000);
    // The 5 ms flush, two attempts cut at 50 ms each, 5 ms of backoff between them.
    expect(clock.now()).toBe(5 + 50 + 5 + 50);
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted && isWriteTimeoutError(s.reason))).toBe(true);
    expect(deadLetter.records[0]).toMatchObject({
      reason: 'retries_exhausted',
      attempts: 2,
      error: { name: 'WriteTimeoutError' },
    });
  });

  it('gives an aborted signal to a sink that reads it only after the timeout', async () => {
    const seen: { aborted: boolean; timeout: boolean }[] = [];
    const coordinator = make<number>({
      sink: async (_batch, context) => {
        await clock.sleep(60);
        seen.push({ aborted: context.signal.aborted, timeout: isWriteTimeoutError(context.signal.reason) });
      },
      writeTimeoutMs: 20,
      retry: { maxAttempts: 1 },
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => seen.length === 1, 2_000);
    expect(seen).toEqual([{ aborted: true, timeout: true }]);
    expect(coordinator.health()).toMatchObject({ written: 0, deadLettered: 1 });
  });

  it('treats a write timeout as retryable even when the classifier says no', async () => {
    let calls = 0;
    const coordinator = make<number>({
      sink: () => (++calls === 1 ? new Promise<void>(() => undefined) : undefined),
      writeTimeoutMs: 30,
      retry: { maxAttempts: 3, initialBackoffMs: 5, isRetryable: () => false },
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => coordinator.health().written === 1, 2_000);
    expect(calls).toBe(2);
  });

  it('uses a custom classifier', async () => {
    let calls = 0;
    const coordinator = make<number>({
      sink: () => {
        if (++calls < 3) throw new TypeError('odd but transient');
      },
      retry: {
        maxAttempts: 5,
        initialBackoffMs: 1,
        jitter: false,
        isRetryable: (e) => e instanceof TypeError,
      },
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => coordinator.health().written === 1, 2_000);
    expect(calls).toBe(3);
  });

  it('uses a custom policy object, waiting what it says between attempts', async () => {
    const asked: number[] = [];
    const sink = new RecordingSink<number>(clock, ({ length }, { attempt }) => {
      if (attempt < 3 && length > 0) throw new Error('whatever');
    });
    const coordinator = make<number>({
      sink: sink.write,
      retry: {
        maxAttempts: 3,
        isRetryable: () => true,
        backoffMs: (attempt) => {
          asked.push(attempt);
          return attempt * 40;
        },
      },
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => coordinator.health().written === 1, 2_000);
    expect(asked).toEqual([1, 2]);
    const [first, second, third] = sink.calls.map((c) => c.at);
    expect(second! - first!).toBe(40);
    expect(third! - second!).toBe(80);
  });

  it('backs off exponentially with the default policy shape', async () => {
    const sink = new RecordingSink<number>(clock, () => {
      throw new RetryableError('busy');
    });
    const coordinator = make<number>({
      sink: sink.write,
      retry: { maxAttempts: 4, initialBackoffMs: 30, multiplier: 2, jitter: false },
    });
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => coordinator.health().deadLettered === 1, 3_000);
    const gaps = sink.calls.slice(1).map((c, i) => c.at - sink.calls[i]!.at);
    expect(gaps).toEqual([30, 60, 120]);
  });

  it('reports failed attempts on errors$', async () => {
    const coordinator = make<number>({
      sink: (_batch, { attempt }) => {
        if (attempt === 1) throw new RetryableError('retry me');
      },
    });
    const reports: CoordinatorErrorReport<number>[] = [];
    coordinator.errors$.subscribe((r) => reports.push(r));
    coordinator.start();
    await coordinator.submitMany([1, 2]);
    await waitFor(() => coordinator.health().written === 2, 2_000);
    expect(reports).toEqual([
      {
        kind: 'write',
        coordinatorId: 'default',
        error: expect.any(RetryableError) as Error,
        attempt: 1,
        size: 2,
      },
    ]);
  });

  it('treats an error thrown by isRetryable as not retryable and reports it', async () => {
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const coordinator = make<number>({
      sink: () => {
        throw new Error('x');
      },
      retry: {
        isRetryable: () => {
          throw new Error('classifier bug');
        },
      },
      deadLetter,
    });
    const kinds: string[] = [];
    coordinator.errors$.subscribe((r) => kinds.push(r.kind));
    coordinator.start();
    await coordinator.submit(1);
    await waitFor(() => deadLetter.size === 1, 2_000);
    expect(kinds).toEqual(['write', 'classifier']);
    expect(deadLetter.records[0]!.reason).toBe('non_retryable');
  });

  describe('when the dead-letter queue fails', () => {
    it('keeps the record in memory, counts it and reports it (put throws)', async () => {
      const coordinator = make<number>({
        sink: () => {
          throw new FatalError('bad');
        },
        deadLetter: {
          put: () => {
            throw new Error('disk full');
          },
        },
      });
      const reports: CoordinatorErrorReport<number>[] = [];
      coordinator.errors$.subscribe((r) => reports.push(r));
      coordinator.start();
      await coordinator.submitMany([1, 2]);
      await waitFor(() => coordinator.health().deadLetterFailures === 1, 2_000);
      expect(coordinator.health()).toMatchObject({ deadLettered: 2, deadLetterFailures: 1 });
      expect(coordinator.unsavedDeadLetters.map((r) => r.items)).toEqual([[1, 2]]);
      const failure = reports.find((r) => r.kind === 'dead-letter');
      expect(failure).toMatchObject({ kind: 'dead-letter', error: new Error('disk full') });
      expectBalanced(coordinator);
    });

    it('keeps the record in memory when put rejects', async () => {
      const coordinator = make<number>({
        sink: () => {
          throw new FatalError('bad');
        },
        deadLetter: { put: () => Promise.reject(new Error('io error')) },
      });
      coordinator.start();
      await coordinator.submit(7);
      await waitFor(() => coordinator.health().deadLetterFailures === 1, 2_000);
      expect(coordinator.unsavedDeadLetters[0]).toMatchObject({ reason: 'non_retryable', items: [7] });
    });

    it('keeps, counts and reports a record whose put never settles once stop stops waiting', async () => {
      const coordinator = make<number>({
        sink: () => undefined,
        deadLetter: { put: () => new Promise<void>(() => undefined) },
      });
      const reports: CoordinatorErrorReport<number>[] = [];
      coordinator.errors$.subscribe((r) => reports.push(r));
      await coordinator.submitMany([1, 2, 3]);
      const report = await clock.run(coordinator.stop({ drain: false, timeoutMs: 100 }));
      expect(report).toMatchObject({ drained: false, deadLettered: 3 });
      expect(coordinator.health()).toMatchObject({ deadLettered: 3, deadLetterFailures: 1 });
      expect(coordinator.unsavedDeadLetters).toEqual([
        expect.objectContaining({ reason: 'shutdown', items: [1, 2, 3] }),
      ]);
      expect(reports).toHaveLength(1);
      const failure = reports[0]!;
      expect(failure).toMatchObject({ kind: 'dead-letter', record: { items: [1, 2, 3] } });
      expect(isCoordinatorClosedError(failure.error)).toBe(true);
      expect((failure.error as Error).message).toContain('still pending');
      expectBalanced(coordinator);
    });

    it('does not count a record twice when its put rejects after stop gave up on it', async () => {
      const coordinator = make<number>({
        sink: () => undefined,
        deadLetter: {
          put: () => clock.sleep(150).then(() => Promise.reject(new Error('late'))),
        },
      });
      await coordinator.submit(1);
      await clock.run(coordinator.stop({ drain: false, timeoutMs: 20 }));
      expect(coordinator.health().deadLetterFailures).toBe(1);
      await clock.advance(200);
      expect(coordinator.health().deadLetterFailures).toBe(1);
      expect(coordinator.unsavedDeadLetters).toHaveLength(1);
    });

    it('waits in stop for a slow dead-letter queue to store its records', async () => {
      const stored: DeadLetterRecord<number>[] = [];
      const coordinator = make<number>({
        sink: () => undefined,
        deadLetter: {
          put: async (record) => {
            await clock.sleep(50);
            stored.push(record);
          },
        },
      });
      await coordinator.submitMany([1, 2, 3]);
      const report = await clock.run(coordinator.stop({ drain: false, timeoutMs: 1_000 }));
      expect(report).toMatchObject({ drained: false, deadLettered: 3 });
      expect(stored.map((r) => r.items)).toEqual([[1, 2, 3]]);
    });
  });
});
