import { IDLE, RUNNING, STOPPED, STOPPING } from '../../lib/coordinator/coordinator-core.js';
import {
  deadLetterQueued,
  settleBatch,
  takeBatch,
  workersMayEnd,
} from '../../lib/coordinator/batch-settlement.js';
import { offer } from '../../lib/coordinator/submission.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';
import { makeCore } from './core-fixture.js';

describe('batch settlement', () => {
  describe('takeBatch', () => {
    it('hands a due batch to the writer, and nothing before it is due', async () => {
      const { core, clock } = makeCore<number>({ autoStart: false, batchSize: 3, flushIntervalMs: 100 });
      await offer(core, 1, undefined);
      expect(takeBatch(core)).toBeNull();
      await clock.advance(100);
      const batch = takeBatch(core)!;
      expect(batch.items).toEqual([1]);
      expect(batch.takenAt).toBe(100);
      expect(core.writer.inFlight).toBe(1);
      expect(core.queue.length).toBe(0);
    });
  });

  describe('settleBatch', () => {
    it('counts a written batch from its own record and reports it on writes$', async () => {
      const { core, clock } = makeCore<number>({ autoStart: false, flushIntervalMs: 0 });
      const writes: WriteRecord[] = [];
      core.counters.writes$.subscribe((w) => writes.push(w));
      await offer(core, 1, undefined);
      await offer(core, 2, undefined);
      const batch = core.writer.begin(core.queue.take(2), 0);
      batch.attempts = 1;
      await clock.advance(7);
      core.writer.settle(batch, null);
      expect(core.counters).toMatchObject({ written: 2, batchesWritten: 1, deadLettered: 0 });
      expect(writes).toEqual([
        {
          coordinatorId: core.id,
          size: 2,
          attempts: 1,
          durationMs: 7,
          outcome: 'written',
          concurrencyLimit: 4,
        },
      ]);
    });

    it('dead-letters a failed batch with its reason, error and attempts', async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const { core } = makeCore<number>({ autoStart: false, deadLetter });
      await offer(core, 5, undefined);
      const batch = core.writer.begin(core.queue.take(1), 0);
      batch.attempts = 3;
      const error = new Error('bad row');
      settleBatch(core, batch, 'retries_exhausted', error);
      expect(core.counters).toMatchObject({ written: 0, deadLettered: 1, shutdownDeadLettered: 0 });
      expect(deadLetter.records[0]).toMatchObject({ reason: 'retries_exhausted', attempts: 3, items: [5] });
      expect(deadLetter.records[0]!.error.message).toBe('bad row');
    });

    it('admits waiting submits into the freed room while running, but not once stopping', async () => {
      const { core } = makeCore<number>({ autoStart: false, capacity: 1 });
      core.lifecycle = RUNNING;
      await offer(core, 1, undefined);
      const waiting = offer(core, 2, undefined);
      core.writer.settle(core.writer.begin(core.queue.take(1), 0), null);
      await waiting;
      expect(core.queue.length).toBe(1);

      const stopping = makeCore<number>({ autoStart: false, capacity: 1 }).core;
      await offer(stopping, 1, undefined);
      void offer(stopping, 2, undefined);
      stopping.lifecycle = STOPPING;
      stopping.writer.settle(stopping.writer.begin(stopping.queue.take(1), 0), null);
      expect(stopping.admission.waiting).toBe(1);
      expect(stopping.queue.length).toBe(0);
    });

    it('calls the drain a stop waits for once nothing is held, and only then', async () => {
      const { core } = makeCore<number>({ autoStart: false });
      await offer(core, 1, undefined);
      await offer(core, 2, undefined);
      let drained = 0;
      core.drained = () => drained++;
      const first = core.writer.begin(core.queue.take(1), 0);
      const second = core.writer.begin(core.queue.take(1), 0);
      core.writer.settle(first, null);
      expect(drained).toBe(0);
      core.writer.settle(second, 'non_retryable', new Error('x'));
      expect(drained).toBe(1);
      expect(core.drained).toBeNull();
    });
  });

  describe('deadLetterQueued', () => {
    it("dead-letters every queued item in batches of at most batchSize, as 'shutdown'", async () => {
      const deadLetter = new MemoryDeadLetterQueue<number>();
      const { core } = makeCore<number>({ autoStart: false, batchSize: 2, deadLetter });
      for (const n of [1, 2, 3, 4, 5]) await offer(core, n, undefined);
      const depths: number[] = [];
      core.signal.depth$.subscribe((d) => depths.push(d));
      deadLetterQueued(core, new Error('stopping'));
      expect(deadLetter.records.map((r) => r.items)).toEqual([[1, 2], [3, 4], [5]]);
      expect(deadLetter.records.every((r) => r.reason === 'shutdown' && r.attempts === 0)).toBe(true);
      expect(core.counters).toMatchObject({ deadLettered: 5, shutdownDeadLettered: 5 });
      expect(depths).toEqual([5, 0]);
    });
  });

  describe('workersMayEnd', () => {
    it('lets workers end after stop, or while stopping with nothing queued', async () => {
      const { core } = makeCore<number>({ autoStart: false });
      const at = (lifecycle: number): boolean => {
        core.lifecycle = lifecycle;
        return workersMayEnd(core);
      };
      expect([at(IDLE), at(RUNNING), at(STOPPING), at(STOPPED)]).toEqual([false, false, true, true]);
      core.lifecycle = IDLE;
      await offer(core, 1, undefined);
      expect([at(STOPPING), at(STOPPED)]).toEqual([false, true]);
    });
  });
});
