import { IDLE, STOPPED, STOPPING, heldItems } from '../../lib/coordinator/coordinator-core.js';
import {
  beginStop,
  drainedWithin,
  finalize,
  giveUpHeld,
  stopReport,
  totalsOf,
} from '../../lib/coordinator/stop-sequence.js';
import { offer } from '../../lib/coordinator/submission.js';
import { claimCoordinatorId } from '../../lib/coordinator/coordinator-ids.js';
import { CoordinatorCounters } from '../../lib/coordinator/coordinator-counters.js';
import {
  CoordinatorClosedError,
  isCoordinatorClosedError,
} from '../../lib/errors/coordinator-closed-error.js';
import { isDuplicateCoordinatorIdError } from '../../lib/errors/duplicate-coordinator-id-error.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import type { WriteContext } from '../../lib/coordinator/sink.js';
import { makeCore } from './core-fixture.js';

const never = (): Promise<void> => new Promise<void>(() => undefined);

describe('stop sequence', () => {
  describe('beginStop', () => {
    it('refuses every waiting submit with the one error it returns', async () => {
      const { core } = makeCore<number>({ capacity: 1, autoStart: false });
      await offer(core, 0, undefined);
      const waits = [1, 2, 3].map((n) => offer(core, n, undefined).catch((e: unknown) => e));
      const closed = beginStop(core, true);
      expect(core.lifecycle).toBe(STOPPING);
      const errors = await Promise.all(waits);
      expect(errors.every((e) => e === closed)).toBe(true);
      expect(isCoordinatorClosedError(closed)).toBe(true);
      expect(core.counters).toMatchObject({ submitted: 4, rejected: 3 });
    });

    it('with drain, flushes partial batches and starts the workers of a never-started coordinator', async () => {
      const written: number[] = [];
      const { core, clock } = makeCore<number>({
        autoStart: false,
        flushIntervalMs: 60_000,
        sink: (batch) => void written.push(...batch),
      });
      await offer(core, 1, undefined);
      expect(core.lifecycle).toBe(IDLE);
      beginStop(core, true);
      await clock.advance(0);
      expect(written).toEqual([1]);
      expect(core.pool.running).toBe(true);
    });

    it("without drain, dead-letters what is queued at once as 'shutdown' and allows no new retries", async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const { core } = makeCore<number>({ autoStart: false, deadLetter });
      await offer(core, 1, undefined);
      await offer(core, 2, undefined);
      const closed = beginStop(core, false);
      expect(core.queue.length).toBe(0);
      expect(core.writer.noRetries).toBe(true);
      expect(deadLetter.records).toMatchObject([{ reason: 'shutdown', items: [1, 2] }]);
      expect(deadLetter.records[0]!.error.message).toBe(closed.message);
      expect(core.pool.running).toBe(false);
    });
  });

  describe('drainedWithin', () => {
    it('resolves true once the last held batch settles', async () => {
      const { core, clock } = makeCore<number>({ autoStart: false, flushIntervalMs: 0 });
      await offer(core, 1, undefined);
      const batch = core.writer.begin(core.queue.take(1), 0);
      let result: boolean | undefined;
      void drainedWithin(core, 1_000).then((r) => (result = r));
      await clock.advance(10);
      expect(result).toBeUndefined();
      core.writer.settle(batch, null);
      await clock.settle();
      expect(result).toBe(true);
      // its timer was cancelled
      expect(clock.pending).toBe(0);
    });

    it('resolves false at the timeout, on the scheduler, and stops listening for the drain', async () => {
      const { core, clock } = makeCore<number>({ autoStart: false });
      await offer(core, 1, undefined);
      let result: boolean | undefined;
      void drainedWithin(core, 50).then((r) => (result = r));
      await clock.advance(49);
      expect(result).toBeUndefined();
      await clock.advance(1);
      expect(result).toBe(false);
      expect(core.drained).toBeNull();
    });
  });

  describe('giveUpHeld', () => {
    it("aborts what is in flight and dead-letters everything held as 'shutdown'", async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const signals: WriteContext['signal'][] = [];
      const { core, clock } = makeCore<number>({
        deadLetter,
        batchSize: 1,
        workers: 1,
        flushIntervalMs: 0,
        sink: (_batch, { signal }) => {
          signals.push(signal);
          return never();
        },
      });
      for (const n of [1, 2, 3]) await offer(core, n, undefined);
      await clock.advance(0);
      expect(heldItems(core)).toBe(3);
      const closed = new CoordinatorClosedError(core.id);
      giveUpHeld(core, closed);
      expect(heldItems(core)).toBe(0);
      expect(signals).toHaveLength(1);
      expect(signals[0]!.aborted).toBe(true);
      expect(core.counters).toMatchObject({ deadLettered: 3, shutdownDeadLettered: 3, written: 0 });
      expect(deadLetter.records.map((r) => r.items)).toEqual([[1], [2], [3]]);
    });
  });

  describe('finalize', () => {
    it('stops the core, disposes the breaker, frees the id and makes the bus forget it', () => {
      const bus = new FeedbackBus();
      const { core } = makeCore<number>({ bus, circuitBreaker: {}, capacity: 2 });
      core.start();
      claimCoordinatorId(bus, core.id);
      core.claimedId = true;
      void offer(core, 1, undefined);
      void offer(core, 2, undefined);
      expect(bus.latest(core.id)?.level).toBe('hard');
      let completed = 0;
      const observer = { complete: () => completed++ };
      core.signal.depth$.subscribe(observer);
      core.reports.errors$.subscribe(observer);
      core.counters.writes$.subscribe(observer);
      finalize(core, new CoordinatorClosedError(core.id));
      expect(core.lifecycle).toBe(STOPPED);
      expect(core.breaker!.tryAcquire()).toBeNull();
      expect(bus.latest(core.id)).toBeUndefined();
      expect(completed).toBe(3);
      expect(() => claimCoordinatorId(bus, core.id)).not.toThrow();
      let duplicate: unknown;
      try {
        claimCoordinatorId(bus, core.id);
      } catch (error) {
        duplicate = error;
      }
      expect(isDuplicateCoordinatorIdError(duplicate)).toBe(true);
    });
  });

  describe('stopReport', () => {
    it('says what the stop wrote and dead-lettered beside the lifetime totals', () => {
      const counters = new CoordinatorCounters('r', () => 1);
      counters.countWritten(10, 1, 0);
      const before = totalsOf(counters);
      expect(before).toEqual({ written: 10, deadLettered: 0 });
      counters.countWritten(3, 1, 0);
      counters.countDeadLettered(2, 'non_retryable');
      expect(stopReport(counters, before, 42)).toEqual({
        drained: true,
        writtenDuringStop: 3,
        deadLetteredDuringStop: 2,
        written: 13,
        deadLettered: 2,
        durationMs: 42,
      });
      counters.countDeadLettered(1, 'shutdown');
      expect(stopReport(counters, before, 50)).toMatchObject({ drained: false, deadLetteredDuringStop: 3 });
    });
  });
});
