import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CircuitBreaker,
  type CircuitPermit,
  type CircuitState,
} from '../../lib/circuit-breaker/circuit-breaker.js';
import { isBackpressureError } from '../../lib/errors/backpressure-error.js';

/** Virtual time that the test moves forward by hand. */
function virtualClock() {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  return {
    scheduler,
    advanceTo(time: number) {
      // A no-op at `time` makes the clock land there even when nothing else is due.
      scheduler.schedule(() => undefined, time - scheduler.frame);
      scheduler.maxFrames = time;
      scheduler.flush();
    },
  };
}

/** Lets resolved promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records how a promise settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

function failTimes(breaker: CircuitBreaker, n: number): void {
  for (let i = 0; i < n; i += 1) breaker.recordFailure(breaker.tryAcquire()!);
}

describe('CircuitBreaker', () => {
  describe('closed', () => {
    it('starts closed and hands out ordinary permits', () => {
      const breaker = new CircuitBreaker();
      expect(breaker.state).toBe('closed');
      expect(breaker.tryAcquire()).toEqual({ probe: false });
      expect(breaker.tryAcquire()).toEqual({ probe: false });
    });

    it('resolves acquire at once', async () => {
      const breaker = new CircuitBreaker();
      const acquired = track(breaker.acquire());
      await Promise.resolve();
      expect(acquired.settled).toBe(true);
      expect(acquired.value).toEqual({ probe: false });
    });

    it('opens after failureThreshold consecutive failures', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 3, scheduler });
      failTimes(breaker, 2);
      expect(breaker.state).toBe('closed');
      expect(breaker.consecutiveFailures).toBe(2);
      failTimes(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('opens after 5 failures by default', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ scheduler });
      failTimes(breaker, 4);
      expect(breaker.state).toBe('closed');
      failTimes(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('resets the count on a success', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 3, scheduler });
      failTimes(breaker, 2);
      breaker.recordSuccess(breaker.tryAcquire()!);
      expect(breaker.consecutiveFailures).toBe(0);
      failTimes(breaker, 2);
      expect(breaker.state).toBe('closed');
      failTimes(breaker, 1);
      expect(breaker.state).toBe('open');
    });

    it('does not count released permits (non-retryable errors)', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 2, scheduler });
      for (let i = 0; i < 10; i += 1) breaker.release(breaker.tryAcquire()!);
      expect(breaker.state).toBe('closed');
      expect(breaker.consecutiveFailures).toBe(0);
    });

    it('counts each permit once', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 2, scheduler });
      const permit = breaker.tryAcquire()!;
      breaker.recordFailure(permit);
      breaker.recordFailure(permit);
      expect(breaker.consecutiveFailures).toBe(1);
      expect(breaker.state).toBe('closed');
    });

    it('ignores permits it did not issue', () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      breaker.recordFailure({ probe: false });
      breaker.recordFailure({ probe: true });
      expect(breaker.state).toBe('closed');
    });
  });

  describe('open', () => {
    it('refuses tryAcquire and makes acquire wait', async () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, scheduler });
      failTimes(breaker, 1);
      expect(breaker.tryAcquire()).toBeNull();
      const waiting = track(breaker.acquire());
      await settle();
      expect(waiting.settled).toBe(false);
      expect(breaker.waiting).toBe(1);
    });

    it('turns half-open halfOpenAfterMs after opening, not before', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 1_000, scheduler });
      advanceTo(500);
      failTimes(breaker, 1);
      advanceTo(1_499);
      expect(breaker.state).toBe('open');
      advanceTo(1_500);
      expect(breaker.state).toBe('half-open');
    });

    it('waits 60 s by default', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, scheduler });
      failTimes(breaker, 1);
      advanceTo(59_999);
      expect(breaker.state).toBe('open');
      advanceTo(60_000);
      expect(breaker.state).toBe('half-open');
    });

    it('ignores outcomes of permits issued before it opened', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 2, halfOpenAfterMs: 100, scheduler });
      const inFlight = [breaker.tryAcquire()!, breaker.tryAcquire()!, breaker.tryAcquire()!];
      failTimes(breaker, 2);
      expect(breaker.state).toBe('open');
      breaker.recordSuccess(inFlight[0]!);
      expect(breaker.state).toBe('open');
      advanceTo(100);
      expect(breaker.state).toBe('half-open');
      breaker.recordSuccess(inFlight[1]!);
      breaker.recordFailure(inFlight[2]!);
      expect(breaker.state).toBe('half-open');
      // The probe slot is untouched by the stale outcomes.
      expect(breaker.tryAcquire()).toEqual({ probe: true });
    });

    it('ignores stale permits after it closed again', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      const stale = breaker.tryAcquire()!;
      failTimes(breaker, 1);
      advanceTo(100);
      breaker.recordSuccess(breaker.tryAcquire()!);
      expect(breaker.state).toBe('closed');
      breaker.recordFailure(stale);
      expect(breaker.state).toBe('closed');
    });
  });

  describe('half-open', () => {
    it('lets exactly one probe through; a second acquire waits', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const first = track(breaker.acquire());
      const second = track(breaker.acquire());
      advanceTo(100);
      await settle();
      expect(first.value).toEqual({ probe: true });
      expect(second.settled).toBe(false);
      expect(breaker.tryAcquire()).toBeNull();
      expect(breaker.waiting).toBe(1);
    });

    it('gives the probe to tryAcquire when nobody waits', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      advanceTo(100);
      expect(breaker.tryAcquire()).toEqual({ probe: true });
      expect(breaker.tryAcquire()).toBeNull();
    });

    it('closes on the probe success and releases every waiter in order', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const order: string[] = [];
      const probe = breaker.acquire().then((p) => (order.push('probe'), p));
      const waiters = ['a', 'b', 'c'].map((name) => breaker.acquire().then((p) => (order.push(name), p)));
      advanceTo(100);
      breaker.recordSuccess(await probe);
      expect(breaker.state).toBe('closed');
      const permits = await Promise.all(waiters);
      expect(order).toEqual(['probe', 'a', 'b', 'c']);
      expect(permits).toEqual([{ probe: false }, { probe: false }, { probe: false }]);
      expect(breaker.waiting).toBe(0);
      // The released permits count in the new closed period.
      breaker.recordFailure(permits[0]!);
      expect(breaker.state).toBe('open');
    });

    it('re-opens on the probe failure and schedules the next half-open', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const first = breaker.acquire();
      const second = track(breaker.acquire());
      advanceTo(100);
      breaker.recordFailure(await first);
      expect(breaker.state).toBe('open');
      advanceTo(199);
      await settle();
      expect(breaker.state).toBe('open');
      expect(second.settled).toBe(false);
      advanceTo(200);
      await settle();
      expect(breaker.state).toBe('half-open');
      expect(second.value).toEqual({ probe: true });
    });

    it('release frees the probe slot for the next waiter, state unchanged', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const first = breaker.acquire();
      const second = track(breaker.acquire());
      advanceTo(100);
      breaker.release(await first);
      await settle();
      expect(breaker.state).toBe('half-open');
      expect(second.value).toEqual({ probe: true });
      breaker.release(second.value!);
      expect(breaker.state).toBe('half-open');
      expect(breaker.tryAcquire()).toEqual({ probe: true });
    });

    it('keeps the level of a released non-probe permit out of the state', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      const stale = breaker.tryAcquire()!;
      failTimes(breaker, 1);
      advanceTo(100);
      const probe = breaker.tryAcquire()!;
      breaker.release(stale);
      expect(breaker.tryAcquire()).toBeNull();
      breaker.recordSuccess(probe);
      expect(breaker.state).toBe('closed');
    });

    it('turns half-open at once with halfOpenAfterMs 0 on the next scheduler turn', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 0, scheduler });
      failTimes(breaker, 1);
      expect(breaker.state).toBe('open');
      advanceTo(0);
      expect(breaker.state).toBe('half-open');
    });

    it('does not let a state$ subscriber jump the queue of waiters', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const waiter = track(breaker.acquire());
      let grabbed: CircuitPermit | null | undefined;
      breaker.state$.subscribe((state) => {
        if (state === 'half-open') grabbed = breaker.tryAcquire();
      });
      advanceTo(100);
      await settle();
      expect(grabbed).toBeNull();
      expect(waiter.value).toEqual({ probe: true });
    });
  });

  describe('abort', () => {
    it('rejects a waiter with the signal reason and removes it', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const controller = new AbortController();
      const aborted = track(breaker.acquire(controller.signal));
      const next = track(breaker.acquire());
      const reason = new Error('stop');
      controller.abort(reason);
      await settle();
      expect(aborted.error).toBe(reason);
      expect(breaker.waiting).toBe(1);
      advanceTo(100);
      await settle();
      expect(next.value).toEqual({ probe: true });
    });

    it('shares one abort listener among the waiters of a signal, removed once they settle', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const controller = new AbortController();
      const added = jest.spyOn(controller.signal, 'addEventListener');
      const removed = jest.spyOn(controller.signal, 'removeEventListener');
      const waiters = Array.from({ length: 20 }, () => track(breaker.acquire(controller.signal)));
      expect(added).toHaveBeenCalledTimes(1);
      advanceTo(100);
      await settle();
      // The first waiter holds the probe; its success lets the other 19 through.
      breaker.recordSuccess(waiters[0]!.value!);
      await settle();
      expect(waiters.every((w) => w.value !== undefined)).toBe(true);
      expect(breaker.waiting).toBe(0);
      expect(removed).toHaveBeenCalledTimes(1);
    });

    it('rejects at once with an already aborted signal, even when closed', async () => {
      const breaker = new CircuitBreaker();
      const reason = new Error('gone');
      await expect(breaker.acquire(AbortSignal.abort(reason))).rejects.toBe(reason);
    });

    it('ignores an abort after the waiter was granted the probe', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const controller = new AbortController();
      const removed = jest.spyOn(controller.signal, 'removeEventListener');
      const prober = track(breaker.acquire(controller.signal));
      const next = track(breaker.acquire());
      advanceTo(100);
      await settle();
      expect(prober.value).toEqual({ probe: true });
      expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
      controller.abort(new Error('too late'));
      await settle();
      expect(prober.error).toBeUndefined();
      // The abort neither dropped the next waiter nor handed it the probe.
      expect(breaker.waiting).toBe(1);
      expect(next.settled).toBe(false);
      expect(breaker.tryAcquire()).toBeNull();
      // The probe is still the one that decides.
      breaker.recordSuccess(prober.value!);
      await settle();
      expect(breaker.state).toBe('closed');
      expect(next.value).toEqual({ probe: false });
      expect(breaker.waiting).toBe(0);
    });

    it('leaves no waiter behind when the only waiter is granted the probe and then aborts', async () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      const controller = new AbortController();
      const prober = track(breaker.acquire(controller.signal));
      advanceTo(100);
      await settle();
      controller.abort();
      await settle();
      expect(prober.value).toEqual({ probe: true });
      expect(prober.error).toBeUndefined();
      expect(breaker.waiting).toBe(0);
      expect(breaker.state).toBe('half-open');
      // A later caller is unaffected: it waits for the probe's outcome, then goes through.
      const later = track(breaker.acquire());
      await settle();
      expect(later.settled).toBe(false);
      breaker.recordSuccess(prober.value!);
      await settle();
      expect(later.value).toEqual({ probe: false });
    });
  });

  describe('dispose', () => {
    it('rejects every waiter with the reason and completes state$', async () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, scheduler });
      failTimes(breaker, 1);
      let completed = false;
      breaker.state$.subscribe({ complete: () => (completed = true) });
      const waiters = [track(breaker.acquire()), track(breaker.acquire())];
      const reason = new Error('coordinator closed');
      breaker.dispose(reason);
      await settle();
      expect(waiters.map((w) => w.error)).toEqual([reason, reason]);
      expect(completed).toBe(true);
      expect(breaker.waiting).toBe(0);
    });

    it('cancels the half-open timer', () => {
      const { scheduler, advanceTo } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100, scheduler });
      failTimes(breaker, 1);
      breaker.dispose();
      advanceTo(1_000);
      expect(breaker.state).toBe('open');
      expect(scheduler.frame).toBe(1_000);
    });

    it('grants nothing afterwards', async () => {
      const breaker = new CircuitBreaker();
      const reason = new Error('closed');
      breaker.dispose(reason);
      breaker.dispose(new Error('second call ignored'));
      expect(breaker.tryAcquire()).toBeNull();
      await expect(breaker.acquire()).rejects.toBe(reason);
    });

    it('uses a BackpressureError when no reason is given', async () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, scheduler });
      failTimes(breaker, 1);
      const waiter = breaker.acquire();
      breaker.dispose();
      const error: unknown = await waiter.catch((e: unknown) => e);
      expect(isBackpressureError(error)).toBe(true);
    });

    it('ignores outcomes recorded after it', () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      const permit = breaker.tryAcquire()!;
      breaker.dispose();
      breaker.recordFailure(permit);
      expect(breaker.state).toBe('closed');
    });
  });

  describe('state$', () => {
    it('emits the current state on subscribe, then each change (marbles)', () => {
      const testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
      testScheduler.run(({ expectObservable }) => {
        const breaker = new CircuitBreaker({
          failureThreshold: 2,
          halfOpenAfterMs: 20,
          scheduler: testScheduler,
        });
        const states: Record<string, CircuitState> = { c: 'closed', o: 'open', h: 'half-open' };
        let probe: CircuitPermit | null = null;
        // t=5, 6: two failures open it; t=26 half-open; t=30 the probe fails; t=50 half-open; t=60 success.
        testScheduler.schedule(() => failTimes(breaker, 1), 5);
        testScheduler.schedule(() => failTimes(breaker, 1), 6);
        testScheduler.schedule(() => breaker.recordFailure(breaker.tryAcquire()!), 30);
        testScheduler.schedule(() => (probe = breaker.tryAcquire()), 55);
        testScheduler.schedule(() => breaker.recordSuccess(probe!), 60);
        testScheduler.schedule(() => breaker.dispose(), 70);
        expectObservable(breaker.state$).toBe('c 5ms o 19ms h 3ms o 19ms h 9ms c 9ms |', states);
      });
    });

    it('emits synchronously, with the state already updated', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, scheduler });
      const seen: [CircuitState, CircuitState][] = [];
      breaker.state$.subscribe((state) => seen.push([state, breaker.state]));
      failTimes(breaker, 1);
      expect(seen).toEqual([
        ['closed', 'closed'],
        ['open', 'open'],
      ]);
    });

    it('replays only the current state to a late subscriber', () => {
      const { scheduler } = virtualClock();
      const breaker = new CircuitBreaker({ failureThreshold: 1, scheduler });
      failTimes(breaker, 1);
      const seen: CircuitState[] = [];
      breaker.state$.subscribe((state) => seen.push(state));
      expect(seen).toEqual(['open']);
    });
  });

  describe('options', () => {
    it.each([
      [
        { failureThreshold: 0 },
        RangeError,
        'circuitBreaker.failureThreshold must be an integer >= 1, found 0',
      ],
      [
        { failureThreshold: 1.5 },
        RangeError,
        'circuitBreaker.failureThreshold must be an integer >= 1, found 1.5',
      ],
      [
        { failureThreshold: '5' },
        TypeError,
        'circuitBreaker.failureThreshold must be an integer, found string "5"',
      ],
      [
        { halfOpenAfterMs: -1 },
        RangeError,
        'circuitBreaker.halfOpenAfterMs must be a finite number within [0, 2147483647], found -1',
      ],
      [
        { halfOpenAfterMs: Infinity },
        RangeError,
        'circuitBreaker.halfOpenAfterMs must be a finite number within [0, 2147483647], found Infinity',
      ],
      [
        // setTimeout fires after 1 ms beyond 2^31 - 1: the breaker would re-probe at once.
        { halfOpenAfterMs: 2_147_483_648 },
        RangeError,
        'circuitBreaker.halfOpenAfterMs must be a finite number within [0, 2147483647], found 2147483648',
      ],
      [
        { scheduler: {} },
        TypeError,
        'circuitBreaker.scheduler must be an rxjs SchedulerLike (with schedule and now), found object',
      ],
    ])('rejects %p', (options, Kind, message) => {
      expect(() => new CircuitBreaker(options as never)).toThrow(Kind);
      expect(() => new CircuitBreaker(options as never)).toThrow(message);
    });

    it('accepts halfOpenAfterMs up to 2^31 - 1', () => {
      expect(new CircuitBreaker({ halfOpenAfterMs: 2_147_483_647 }).halfOpenAfterMs).toBe(2_147_483_647);
    });

    it('exposes the resolved options', () => {
      const breaker = new CircuitBreaker({ failureThreshold: 7 });
      expect(breaker.failureThreshold).toBe(7);
      expect(breaker.halfOpenAfterMs).toBe(60_000);
    });
  });

  it('opens and turns half-open on the default async scheduler', async () => {
    // Jest's fake timers drive asyncScheduler's own setInterval: the default, on virtual time.
    jest.useFakeTimers();
    try {
      const breaker = new CircuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 20 });
      failTimes(breaker, 1);
      let permit: unknown;
      void breaker.acquire().then((p) => (permit = p));
      await jest.advanceTimersByTimeAsync(19);
      expect(breaker.state).toBe('open');
      expect(permit).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(permit).toEqual({ probe: true });
      expect(breaker.state).toBe('half-open');
      breaker.recordSuccess(permit as CircuitPermit);
      expect(breaker.state).toBe('closed');
    } finally {
      jest.useRealTimers();
    }
  });
});
