import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

interface Scheduled {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
  readonly owner: Subscription;
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
    return this.enqueue(new Subscription(), work, delay, state);
  }

  // An action that reschedules itself (rxjs `interval`) stays under the subscription its first
  // schedule returned, as rxjs's own actions do: unsubscribing that one cancels the whole chain.
  private enqueue<S>(
    owner: Subscription,
    work: (this: SchedulerAction<S>, state?: S) => void,
    delay: number,
    state: S | undefined,
  ): Subscription {
    const action = Object.assign(owner, {
      schedule: (nextState?: S, nextDelay = 0): Subscription =>
        this.enqueue(owner, work, nextDelay, nextState),
    }) as unknown as SchedulerAction<S>;
    this.queue.push({
      due: this.time + Math.max(0, delay),
      seq: this.seq++,
      run: () => work.call(action, state),
      owner,
    });
    this.queue.sort((a, b) => a.due - b.due || a.seq - b.seq);
    return owner;
  }

  /** Timers still pending (neither run nor cancelled). */
  get pending(): number {
    return this.queue.filter((e) => !e.owner.closed).length;
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
      const next = this.nextDue();
      if (next === undefined || next.due > target) break;
      this.queue.splice(this.queue.indexOf(next), 1);
      this.time = next.due;
      next.run();
      await this.settle();
    }
    this.queue = this.queue.filter((e) => !e.owner.closed);
    this.time = target;
    await this.settle();
  }

  /**
   * Advances until `predicate` holds, failing once `maxMs` of virtual time has passed. Time jumps
   * from one due timer to the next: nothing can change in between.
   */
  async until(predicate: () => boolean, maxMs = 60_000, what = 'condition'): Promise<void> {
    const limit = this.time + maxMs;
    await this.settle();
    while (!predicate()) {
      const next = this.nextDue();
      if (next === undefined || next.due > limit) {
        if (this.time >= limit) throw new Error(`${what} still false after ${maxMs} ms of virtual time`);
        await this.advance(limit - this.time);
      } else {
        await this.advance(next.due - this.time);
      }
    }
  }

  /** Advances time until `promise` settles (at most `maxMs` of it), then returns its outcome. */
  async run<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => (settled = true));
    tracked.catch(() => undefined);
    await this.until(() => settled, maxMs, 'promise settled');
    return tracked;
  }

  /** A promise that resolves `ms` from now on this clock (when a spec advances past it). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        timer.unsubscribe();
        reject(signal!.reason as Error);
      };
      const timer = this.schedule(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private nextDue(): Scheduled | undefined {
    return this.queue.find((e) => !e.owner.closed);
  }
}
