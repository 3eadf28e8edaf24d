import { RESOLVED } from '../../lib/queue/admission.js';
import { STOPPING, heldItems } from '../../lib/coordinator/coordinator-core.js';
import {
  admissionTarget,
  offer,
  ready,
  submit,
  submitMany,
  trySubmit,
} from '../../lib/coordinator/submission.js';
import {
  CoordinatorClosedError,
  isCoordinatorClosedError,
} from '../../lib/errors/coordinator-closed-error.js';
import { isQueueFullError } from '../../lib/errors/queue-full-error.js';
import type { Dropped } from '../../lib/queue/bounded-queue.js';
import { makeCore } from './core-fixture.js';

const never = (): Promise<void> => new Promise<void>(() => undefined);

describe('submission', () => {
  describe('offer', () => {
    it('admits at once with the shared resolved promise, counting the item and announcing the depth', () => {
      const { core } = makeCore<number>({ autoStart: false });
      const depths: number[] = [];
      core.signal.depth$.subscribe((d) => depths.push(d));
      expect(offer(core, 1, undefined)).toBe(RESOLVED);
      expect(core.counters.submitted).toBe(1);
      expect(core.queue.length).toBe(1);
      expect(depths).toEqual([0, 1]);
    });

    it('starts an idle core once when autoStart is on, and not when it is off', async () => {
      const auto = makeCore<number>();
      await offer(auto.core, 1, undefined);
      await offer(auto.core, 2, undefined);
      expect(auto.starts.count).toBe(1);
      const manual = makeCore<number>({ autoStart: false });
      await offer(manual.core, 1, undefined);
      expect(manual.starts.count).toBe(0);
      expect(manual.core.queue.length).toBe(1);
    });

    it("refuses once stopping, counting the refusal, and refuses with start's error when start throws", async () => {
      const { core } = makeCore<number>();
      core.lifecycle = STOPPING;
      expect(isCoordinatorClosedError(await offer(core, 1, undefined).catch((e: unknown) => e))).toBe(true);
      expect(core.counters).toMatchObject({ submitted: 1, rejected: 1 });

      const failing = makeCore<number>();
      const startError = new Error('taken');
      (failing.core as { start: () => void }).start = () => {
        throw startError;
      };
      await expect(offer(failing.core, 1, undefined)).rejects.toBe(startError);
      expect(failing.core.counters).toMatchObject({ submitted: 1, rejected: 1 });
      expect(failing.core.queue.length).toBe(0);
    });

    it('applies the overflow strategy when full', async () => {
      const { core } = makeCore<number>({ capacity: 1, overflow: 'reject', autoStart: false });
      await offer(core, 1, undefined);
      expect(isQueueFullError(await offer(core, 2, undefined).catch((e: unknown) => e))).toBe(true);
      expect(core.counters).toMatchObject({ submitted: 2, rejected: 1 });
    });
  });

  describe('submit', () => {
    it('rejects bad options instead of throwing, counting nothing', async () => {
      const { core } = makeCore<number>();
      let result: Promise<void> | undefined;
      expect(() => (result = submit(core, 1, { timeoutMs: -1 }))).not.toThrow();
      await expect(result).rejects.toThrow(RangeError);
      await expect(submit(core, 1, null as unknown as undefined)).rejects.toThrow(TypeError);
      expect(core.counters.submitted).toBe(0);
    });
  });

  describe('submitMany', () => {
    it("stops at the first refusal and tells its error how many of the call's items were accepted", async () => {
      const { core } = makeCore<number>({ capacity: 2, overflow: 'reject', autoStart: false });
      const error: unknown = await submitMany(core, [1, 2, 3, 4], undefined).catch((e: unknown) => e);
      expect(isQueueFullError(error)).toBe(true);
      expect((error as { accepted?: number }).accepted).toBe(2);
      expect(core.counters).toMatchObject({ submitted: 3, rejected: 1 });
    });

    it('gives its call its own copy of a shared CoordinatorClosedError, with accepted', async () => {
      const { core } = makeCore<number>({ capacity: 1, autoStart: false });
      const many = submitMany(core, [1, 2, 3], undefined).catch((e: unknown) => e);
      await Promise.resolve();
      const shared = new CoordinatorClosedError(core.id);
      core.admission.refuseWaiting(() => shared);
      const own = await many;
      expect(isCoordinatorClosedError(own)).toBe(true);
      expect(own).not.toBe(shared);
      expect((own as CoordinatorClosedError).accepted).toBe(1);
      expect(shared.accepted).toBeUndefined();
    });

    it('rejects what is not iterable and bad options', async () => {
      const { core } = makeCore<number>();
      await expect(submitMany(core, 5 as unknown as number[], undefined)).rejects.toThrow(
        'items must be iterable, found number 5',
      );
      await expect(submitMany(core, [1], { timeoutMs: Number.NaN })).rejects.toThrow(RangeError);
      expect(core.counters.submitted).toBe(0);
    });
  });

  describe('trySubmit', () => {
    it("returns false when full under 'block', counting nothing and leaving the item with the caller", () => {
      const { core } = makeCore<number>({ capacity: 1, autoStart: false });
      expect(trySubmit(core, 1)).toBe(true);
      expect(trySubmit(core, 2)).toBe(false);
      expect(core.counters).toMatchObject({ submitted: 1, rejected: 0, dropped: 0 });
    });

    it("accepts under 'drop-newest' when full, counting the drop", () => {
      const { core } = makeCore<number>({ capacity: 1, overflow: 'drop-newest', autoStart: false });
      const dropped: Dropped<number>[] = [];
      core.reports.dropped$.subscribe((d) => dropped.push(d));
      trySubmit(core, 1);
      expect(trySubmit(core, 2)).toBe(true);
      expect(core.counters).toMatchObject({ submitted: 2, dropped: 1 });
      expect(dropped).toEqual([{ item: 2, reason: 'overflow' }]);
    });

    it('throws once stopping', () => {
      const { core } = makeCore<number>();
      core.lifecycle = STOPPING;
      expect(() => trySubmit(core, 1)).toThrow(CoordinatorClosedError);
      expect(core.counters.submitted).toBe(0);
    });
  });

  describe('ready', () => {
    it('resolves at once with room, throws at once for bad options, rejects once stopping', async () => {
      const { core } = makeCore<number>();
      expect(ready(core, undefined)).toBe(RESOLVED);
      expect(() => ready(core, { timeoutMs: -5 })).toThrow(RangeError);
      core.lifecycle = STOPPING;
      expect(isCoordinatorClosedError(await ready(core, undefined).catch((e: unknown) => e))).toBe(true);
    });
  });

  describe('admissionTarget', () => {
    it('counts queued plus in flight as held', async () => {
      const { core, clock } = makeCore<number>({ sink: never, batchSize: 2, flushIntervalMs: 0, workers: 1 });
      const target = admissionTarget(() => core);
      await submitMany(core, [1, 2, 3], undefined);
      await clock.advance(0);
      expect(core.writer.inFlight).toBe(2);
      expect(core.queue.length).toBe(1);
      expect(target.held()).toBe(3);
      expect(heldItems(core)).toBe(3);
    });

    it('gives room released by an unclaimed ready to waiting submits, unless stopping', () => {
      const { core } = makeCore<number>({ capacity: 1, autoStart: false });
      const target = admissionTarget(() => core);
      void offer(core, 1, undefined);
      const waiting = offer(core, 2, undefined);
      core.queue.shift();
      target.roomReleased!();
      expect(core.admission.waiting).toBe(0);
      expect(core.queue.length).toBe(1);
      void waiting;

      const stopping = makeCore<number>({ capacity: 1, autoStart: false });
      void offer(stopping.core, 1, undefined);
      void offer(stopping.core, 2, undefined).catch(() => undefined);
      stopping.core.queue.shift();
      stopping.core.lifecycle = STOPPING;
      admissionTarget(() => stopping.core).roomReleased!();
      expect(stopping.core.admission.waiting).toBe(1);
    });
  });
});
