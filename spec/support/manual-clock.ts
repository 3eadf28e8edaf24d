import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * A scheduler whose clock moves only when a test moves it, while its timers still run on real time.
 * Coordinators read the clock for durations and time in level, and use timers for backoff and the
 * breaker: a scripted run then gives the same durations every time, without a virtual-time loop
 * around the sink's promises.
 */
export function manualClock(start = 0) {
  let now = start;
  const scheduler: SchedulerLike = {
    now: () => now,
    schedule<S>(work: (this: SchedulerAction<S>, state?: S) => void, delay = 0, state?: S): Subscription {
      return asyncScheduler.schedule<S>(work, delay, state);
    },
  };
  return {
    scheduler,
    /** Moves the clock forward by `ms`. */
    advance(ms: number): void {
      now += ms;
    },
    get now(): number {
      return now;
    },
  };
}
