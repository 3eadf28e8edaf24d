import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

interface Scheduled {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

/**
 * A scheduler whose time moves only when a spec says so, for code that mixes timers with promises
 * (the coordinator, the breaker, retry backoff). `advance(ms)` runs every action due within `ms`,
 * in time order, letting promise callbacks settle between actions, so that a spec (and a failing
 * property seed) replays exactly, with no wall clock involved.
 */
export class VirtualClock implements SchedulerLike {
  private time = 0;
  private seq = 0;
  private queue: Scheduled[] = [];

  now(): number {
    return this.time;
  }

  schedule<S>(work: (this: SchedulerAction<S>, state?: S) => void, delay = 0, state?: S): Subscription {
    const subscription = new Subscription();
    const action = {
      schedule: (nextState?: S, nextDelay = 0): Subscription => this.schedule(work, nextDelay, nextState),
    } as unknown as SchedulerAction<S>;
    const entry: Scheduled = {
      due: this.time + Math.max(0, delay),
      seq: this.seq++,
      run: () => work.call(action, state),
      cancelled: false,
    };
    subscription.add(() => {
      entry.cancelled = true;
    });
    this.queue.push(entry);
    this.queue.sort((a, b) => a.due - b.due || a.seq - b.seq);
    return subscription;
  }

  /** Timers still pending (neither run nor cancelled). */
  get pending(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }

  /** Lets every promise callback run (the microtask queue drains before an immediate). */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Moves time forward by `ms`, running what falls due in order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await this.settle();
    for (;;) {
      const next = this.queue.find((e) => !e.cancelled);
      if (next === undefined || next.due > target) break;
      this.queue.splice(this.queue.indexOf(next), 1);
      this.time = next.due;
      next.run();
      await this.settle();
    }
    this.queue = this.queue.filter((e) => !e.cancelled);
    this.time = target;
    await this.settle();
  }

  /** Advances until `predicate` holds, in steps of `stepMs`, failing after `maxMs` of virtual time. */
  async until(predicate: () => boolean, maxMs = 60_000, stepMs = 1): Promise<void> {
    const limit = this.time + maxMs;
    await this.settle();
    while (!predicate()) {
      if (this.time >= limit) throw new Error(`condition still false after ${maxMs} ms of virtual time`);
      await this.advance(stepMs);
    }
  }
}
