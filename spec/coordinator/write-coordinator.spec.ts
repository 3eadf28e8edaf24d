import type { SchedulerAction, SchedulerLike } from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import { isQueueFullError } from '../../lib/errors/queue-full-error.js';
import { isQueueTimeoutError } from '../../lib/errors/queue-timeout-error.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { RetryableError, spyScheduler } from './helpers.js';
import { RecordingSink, expectBalanced, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
const stopAll: WriteCoordinator<unknown>[] = [];
function make<T>(options: ConstructorParameters<typeof WriteCoordinator<T>>[0]): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({ bus: null, autoStart: false, scheduler: clock, ...options });
  stopAll.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
beforeEach(() => {
  clock = new VirtualClock();
});
afterEach(async () => {
  await clock.run(Promise.all(stopAll.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

describe('WriteCoordinator', () => {
  describe('writes', () => {
    it('writes 47 items with 2 workers, batch 10, flush 50 ms', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, workers: 2, batchSize: 10, flushIntervalMs: 50 });
      coordinator.start();
      for (const i of range(47)) await coordinator.submit(i);
      await waitFor(() => sink.items.length === 47, 2_000, '47 items');
      expect(sink.items.sort((a, b) => a - b)).toEqual(range(47));
      expect(sink.batches.every((b) => b.length <= 10)).toBe(true);
      expect(coordinator.health()).toMatchObject({ submitted: 47, written: 47, queueSize: 0, inFlight: 0 });
    });

    it('writes everything given to submitMany', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, batchSize: 16, flushIntervalMs: 20 });
      coordinator.start();
      await coordinator.submitMany(range(100));
      await waitFor(() => sink.items.length === 100, 2_000);
      expect(sink.items.sort((a, b) => a - b)).toEqual(range(100));
      expect(coordinator.health().submitted).toBe(100);
    });

    it('writes everything through a slow sink with 4 workers, several batches at once', async () => {
      let active = 0;
      let mostActive = 0;
      const sink = new RecordingSink<number>(clock, async () => {
        mostActive = Math.max(mostActive, ++active);
        await clock.sleep(30);
        active--;
      });
      const coordinator = make<number>({
        sink: { write: sink.write },
        workers: 4,
        batchSize: 25,
        flushIntervalMs: 20,
      });
      coordinator.start();
      await coordinator.submitMany(range(200));
      await waitFor(() => sink.items.length === 200, 5_000);
      expect(mostActive).toBeGreaterThan(1);
      expect(mostActive).toBeLessThanOrEqual(4);
      expect(new Set(sink.items).size).toBe(200);
    });

    it('flushes a partial batch by time', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, batchSize: 100, flushIntervalMs: 60 });
      coordinator.start();
      await coordinator.submitMany([1, 2, 3]);
      await clock.advance(59);
      expect(sink.batches).toEqual([]);
      await waitFor(() => sink.batches.length === 1, 2_000);
      expect(sink.batches[0]).toEqual([1, 2, 3]);
      expect(sink.calls[0]!.at).toBe(60);
    });

    it('writes a full batch at once, without waiting for the flush interval', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, batchSize: 5, flushIntervalMs: 10_000 });
      coordinator.start();
      await coordinator.submitMany(range(5));
      await waitFor(() => sink.batches.length === 1, 1_000);
      expect(sink.batches[0]).toEqual(range(5));
    });

    it('keeps order with one worker', async () => {
      const sink = new RecordingSink<number>(clock, () => clock.sleep(2));
      const coordinator = make<number>({ sink: sink.write, workers: 1, batchSize: 7, flushIntervalMs: 5 });
      coordinator.start();
      await coordinator.submitMany(range(60));
      await waitFor(() => sink.items.length === 60, 2_000);
      expect(sink.items).toEqual(range(60));
    });

    it('accepts a plain function as the sink and passes the signal and attempt', async () => {
      const contexts: { aborted: boolean; attempt: number }[] = [];
      const coordinator = make<number>({
        sink: (_batch, { signal, attempt }) => {
          contexts.push({ aborted: signal.aborted, attempt });
        },
        flushIntervalMs: 0,
      });
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => contexts.length === 1, 1_000);
      expect(contexts).toEqual([{ aborted: false, attempt: 1 }]);
    });

    it('caps batches at the capacity', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, capacity: 4, batchSize: 500, flushIntervalMs: 5 });
      expect(coordinator.batchSize).toBe(4);
      coordinator.start();
      await coordinator.submitMany(range(12));
      await waitFor(() => sink.items.length === 12, 2_000);
      expect(sink.batches.every((b) => b.length <= 4)).toBe(true);
    });
  });

  describe('idle workers', () => {
    it('writes again at once after staying idle for several flush intervals', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, workers: 2, batchSize: 10, flushIntervalMs: 20 });
      coordinator.start();
      await clock.advance(150);
      const started = clock.now();
      await coordinator.submitMany(range(10));
      await waitFor(() => sink.items.length === 10, 1_000, '10 items within a second');
      expect(clock.now() - started).toBe(0);
    });

    it('writes a partial batch flushIntervalMs after its first item, however long it sat idle before', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, batchSize: 10, flushIntervalMs: 50 });
      coordinator.start();
      for (let round = 0; round < 3; round++) {
        await clock.advance(120);
        const before = sink.batches.length;
        const submittedAt = clock.now();
        await coordinator.submit(round);
        await waitFor(() => sink.batches.length === before + 1, 1_000);
        expect(sink.calls.at(-1)!.at - submittedAt).toBe(50);
      }
      expect(sink.items).toEqual([0, 1, 2]);
    });

    it('times the flush with the given scheduler', async () => {
      const delays: number[] = [];
      const scheduler: SchedulerLike = {
        now: () => clock.now(),
        schedule: (
          work: (this: SchedulerAction<unknown>, state?: unknown) => void,
          ms?: number,
          state?: unknown,
        ) => {
          delays.push(ms ?? 0);
          return clock.schedule(work, ms, state);
        },
      };
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({
        sink: sink.write,
        flushIntervalMs: 30,
        scheduler,
        writeTimeoutMs: 1_234,
      });
      coordinator.start();
      await coordinator.submit(1);
      await waitFor(() => sink.items.length === 1, 1_000);
      expect(delays[0]).toBe(30);
      expect(delays).toContain(1_234);
    });

    it('leaves no scheduled action live after stop', async () => {
      const hangingSink = () => new Promise<void>(() => undefined);
      const failing = () => {
        throw new RetryableError('busy');
      };
      const cases: [string, Partial<ConstructorParameters<typeof WriteCoordinator<number>>[0]>, boolean][] = [
        // a write hanging past stop's timeout, a flush timer, a submit waiting with a timeout
        ['hanging write', { sink: hangingSink, capacity: 2, batchSize: 1, flushIntervalMs: 10_000 }, true],
        // a batch waiting on an open breaker (half-open timer pending)
        [
          'open breaker',
          {
            sink: failing,
            flushIntervalMs: 0,
            circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 60_000 },
          },
          true,
        ],
        // a batch waiting on backoff, stopped without drain
        [
          'backoff',
          {
            sink: failing,
            flushIntervalMs: 0,
            circuitBreaker: false,
            retry: { initialBackoffMs: 10_000, maxBackoffMs: 10_000, jitter: false },
          },
          false,
        ],
      ];
      for (const [name, options, drain] of cases) {
        const { scheduler, live } = spyScheduler(clock);
        const coordinator = make<number>({ sink: () => undefined, ...options, scheduler });
        coordinator.start();
        const submits = [1, 2, 3].map((i) =>
          coordinator.submit(i, { timeoutMs: 10_000 }).catch((e: unknown) => e),
        );
        await waitFor(() => coordinator.health().busyWorkers > 0, 1_000, name);
        await clock.advance(20);
        expect(live.size).toBeGreaterThan(0);
        await clock.run(coordinator.stop({ drain, timeoutMs: 50 }));
        await clock.run(Promise.all(submits));
        expect([name, [...live].map((a) => a.ms)]).toEqual([name, []]);
      }
    });

    it('keeps flushing partial batches on time while the queue never empties', async () => {
      const sink = new RecordingSink<number>(clock, () => clock.sleep(15));
      // Batches never fill up: without the flush nothing would be written at all.
      const coordinator = make<number>({
        sink: sink.write,
        workers: 1,
        batchSize: 1_000,
        flushIntervalMs: 40,
      });
      coordinator.start();
      const accepted = new Map<number, number>();
      for (const i of range(60)) {
        accepted.set(i, clock.now());
        await coordinator.submit(i);
        await clock.advance(3);
      }
      await waitFor(() => sink.items.length === 60, 3_000);
      // Every item was written within a flush interval plus one write.
      sink.batches.forEach((batch, n) => {
        const writtenAt = sink.calls[n]!.at;
        for (const item of batch) expect(writtenAt - accepted.get(item)!).toBeLessThanOrEqual(40 + 15);
      });
      expect(sink.batches.length).toBeGreaterThan(1);
    });

    it('queues items submitted before start and writes them once started', async () => {
      const sink = new RecordingSink<number>(clock);
      const coordinator = make<number>({ sink: sink.write, batchSize: 10, flushIntervalMs: 10 });
      await coordinator.submitMany(range(5));
      await clock.advance(40);
      expect(sink.items).toEqual([]);
      expect(coordinator.health()).toMatchObject({ state: 'idle', queueSize: 5 });
      coordinator.start();
      await waitFor(() => sink.items.length === 5, 1_000);
      expect(coordinator.state).toBe('running');
    });
  });

  describe('overflow and submit counters', () => {
    const hanging = () => new Promise<void>(() => undefined);

    it('counts queued plus in flight against the capacity (block waits, first come first served)', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const sink = new RecordingSink<number>(clock, () => gate);
      const coordinator = make<number>({
        sink: sink.write,
        capacity: 4,
        batchSize: 2,
        workers: 1,
        flushIntervalMs: 0,
      });
      coordinator.start();
      await coordinator.submitMany([1, 2, 3, 4]);
      await waitFor(() => coordinator.health().inFlight > 0, 1_000);
      const order: number[] = [];
      const fifth = coordinator.submit(5).then(() => order.push(5));
      const sixth = coordinator.submit(6).then(() => order.push(6));
      await clock.advance(20);
      expect(order).toEqual([]);
      expect(coordinator.health()).toMatchObject({ submitted: 4, queueSize: 2, inFlight: 2 });
      release();
      await clock.run(Promise.all([fifth, sixth]));
      expect(order).toEqual([5, 6]);
      await waitFor(() => sink.items.length === 6, 1_000);
      expectBalanced(coordinator);
    });

    it('accepts an item before submit returns, and resolves before any macrotask when there is room', async () => {
      const coordinator = make<number>({ sink: () => undefined, capacity: 10 });
      const order: string[] = [];
      setImmediate(() => order.push('macrotask'));
      const first = coordinator.submit(1).then(() => order.push('first'));
      expect(coordinator.health()).toMatchObject({ submitted: 1, queueSize: 1 });
      const second = coordinator.submit(2).then(() => order.push('second'));
      expect(coordinator.health()).toMatchObject({ submitted: 2, queueSize: 2 });
      await Promise.all([first, second]);
      order.push('awaited');
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(['first', 'second', 'awaited', 'macrotask']);
    });

    it('rejects with QueueFullError under reject and counts the refusal', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 2, overflow: 'reject' });
      await coordinator.submitMany([1, 2]);
      const error: unknown = await coordinator.submit(3).catch((e: unknown) => e);
      expect(isQueueFullError(error)).toBe(true);
      expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 1, queueSize: 2 });
      expectBalanced(coordinator);
    });

    it('drops the newest under drop-newest and reports it', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 2, overflow: 'drop-newest' });
      const dropped: number[] = [];
      coordinator.dropped$.subscribe(({ item }) => dropped.push(item));
      await coordinator.submitMany([1, 2, 3]);
      expect(dropped).toEqual([3]);
      expect(coordinator.health()).toMatchObject({ submitted: 3, dropped: 1, queueSize: 2 });
      expectBalanced(coordinator);
    });

    it('evicts the oldest queued item under drop-oldest', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 2, overflow: 'drop-oldest' });
      const dropped: number[] = [];
      coordinator.dropped$.subscribe(({ item }) => dropped.push(item));
      await coordinator.submitMany([1, 2, 3, 4]);
      expect(dropped).toEqual([1, 2]);
      expect(coordinator.health()).toMatchObject({ submitted: 4, dropped: 2, queueSize: 2 });
      const report = await clock.run(coordinator.stop({ drain: false }));
      expect(report.deadLettered).toBe(2);
    });

    it('rejects a waiting submit on abort and on timeout, counting both', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 1 });
      await coordinator.submit(1);
      const controller = new AbortController();
      const aborted = coordinator.submit(2, { signal: controller.signal }).catch((e: unknown) => e);
      const timedOut = coordinator.submit(3, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(coordinator.health().submitted).toBe(1);
      controller.abort(new Error('changed my mind'));
      expect(((await aborted) as Error).message).toBe('changed my mind');
      expect(isQueueTimeoutError(await clock.run(timedOut))).toBe(true);
      expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 2 });
      expectBalanced(coordinator);
    });

    it('rejects at once with an already-aborted signal when it would have to wait', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 1 });
      await coordinator.submit(1);
      const error: unknown = await coordinator
        .submit(2, { signal: AbortSignal.abort('gone') })
        .catch((e: unknown) => e);
      expect(error).toBe('gone');
      expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 1 });
    });

    it('stops submitMany at the first refusal, whose error says how many were accepted', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 5, overflow: 'reject' });
      await coordinator.submitMany([100, 101]);
      const error: unknown = await coordinator.submitMany(range(10)).catch((e: unknown) => e);
      expect(isQueueFullError(error)).toBe(true);
      expect((error as { accepted?: number }).accepted).toBe(3);
      expect(coordinator.health()).toMatchObject({ submitted: 6, rejected: 1, queueSize: 5 });
    });

    it('gives the accepted count on a timed-out wait and on stop, not on an abort', async () => {
      const coordinator = make<number>({ sink: hanging, capacity: 4 });
      await coordinator.submit(100);
      const timedOut: unknown = await clock.run(
        coordinator.submitMany(range(5), { timeoutMs: 20 }).catch((e: unknown) => e),
      );
      expect(isQueueTimeoutError(timedOut)).toBe(true);
      expect((timedOut as { accepted?: number }).accepted).toBe(3);

      const controller = new AbortController();
      const reason = new Error('gone');
      const aborted = coordinator.submitMany([7], { signal: controller.signal }).catch((e: unknown) => e);
      const closing = coordinator.submitMany([8, 9]).catch((e: unknown) => e);
      controller.abort(reason);
      expect(await aborted).toBe(reason);
      expect(reason).not.toHaveProperty('accepted'); // the caller's value is left alone
      await clock.run(coordinator.stop({ drain: false, timeoutMs: 50 }));
      const closed = await closing;
      expect(isCoordinatorClosedError(closed)).toBe(true);
      expect((closed as { accepted?: number }).accepted).toBe(0);
      expectBalanced(coordinator);
    });
  });

  describe('writes$ and health()', () => {
    it('emits a record per batch outcome', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const coordinator = make<number>({
        sink: (batch) => {
          if (batch.includes(99)) throw Object.assign(new TypeError('bad row'), { retryable: false });
        },
        batchSize: 2,
        flushIntervalMs: 5,
        deadLetter,
        workers: 1,
      });
      const records: WriteRecord[] = [];
      coordinator.writes$.subscribe((r) => records.push(r));
      coordinator.start();
      await coordinator.submitMany([1, 2, 99]);
      await waitFor(() => records.length === 2, 1_000);
      expect(records[0]).toEqual({
        coordinatorId: 'default',
        size: 2,
        attempts: 1,
        durationMs: expect.any(Number) as number,
        outcome: 'written',
        concurrencyLimit: 1,
      });
      expect(records[1]).toMatchObject({
        size: 1,
        attempts: 1,
        outcome: 'dead-lettered',
        reason: 'non_retryable',
      });
      expect(deadLetter.records[0]).toMatchObject({
        reason: 'non_retryable',
        error: { name: 'TypeError', message: 'bad row' },
        items: [99],
      });
    });

    it('reports every field of health()', async () => {
      const coordinator = make<number>({
        sink: () => undefined,
        id: 'h',
        capacity: 10,
        workers: 3,
        flushIntervalMs: 10_000,
      });
      await coordinator.submitMany(range(6));
      expect(coordinator.health()).toEqual({
        id: 'h',
        state: 'idle',
        workers: 3,
        concurrencyLimit: 3,
        busyWorkers: 0,
        queueSize: 6,
        inFlight: 0,
        queuedWeight: 6,
        inFlightWeight: 0,
        capacity: 10,
        utilization: 0.6,
        level: 'soft',
        circuitState: 'closed',
        submitted: 6,
        written: 0,
        deadLettered: 0,
        dropped: 0,
        rejected: 0,
        batchesWritten: 0,
        writeErrors: 0,
        deadLetterFailures: 0,
        // No time has passed on the clock: soft since the sixth item, at the same instant.
        timeInLevelMs: { ok: 0, soft: 0, hard: 0 },
      });
    });

    it('counts busy workers and items in flight', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const coordinator = make<number>({ sink: () => gate, batchSize: 2, workers: 3, flushIntervalMs: 0 });
      coordinator.start();
      await coordinator.submitMany(range(5));
      await waitFor(() => coordinator.health().busyWorkers === 3, 1_000);
      expect(coordinator.health()).toMatchObject({ inFlight: 5, queueSize: 0, busyWorkers: 3 });
      release();
      await waitFor(() => coordinator.health().written === 5, 1_000);
      expect(coordinator.health()).toMatchObject({ busyWorkers: 0, batchesWritten: 3 });
    });
  });

  it('never holds more than the capacity, even while the sink is slow', async () => {
    const coordinator = make<number>({
      sink: (_b, { signal }) => clock.sleep(5, signal),
      capacity: 20,
      batchSize: 5,
      workers: 2,
      flushIntervalMs: 5,
    });
    let maxDepth = 0;
    coordinator.depth$.subscribe((d) => (maxDepth = Math.max(maxDepth, d)));
    coordinator.start();
    await clock.run(coordinator.submitMany(range(200)));
    await waitFor(() => coordinator.health().written === 200, 5_000);
    expect(maxDepth).toBe(20);
    expectBalanced(coordinator);
  });
});
