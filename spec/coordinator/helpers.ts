import { type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { WriteContext } from '../../lib/coordinator/sink.js';

/** A sink that records every batch it stores (and every call it gets). */
export class RecordingSink<T> {
  readonly batches: T[][] = [];
  readonly calls: { size: number; attempt: number; at: number }[] = [];
  /** `clock` stamps each call (`at`), on the coordinator's scheduler. */
  constructor(
    private readonly clock: { now(): number },
    private readonly behaviour: (batch: readonly T[], context: WriteContext) => Promise<void> | void = () =>
      undefined,
  ) {}

  readonly write = async (batch: readonly T[], context: WriteContext): Promise<void> => {
    this.calls.push({ size: batch.length, attempt: context.attempt, at: this.clock.now() });
    await this.behaviour(batch, context);
    this.batches.push([...batch]);
  };

  get items(): T[] {
    return this.batches.flat();
  }
}

/** Asserts the accounting invariant on a health snapshot: every item submitted is held, written, dead-lettered, dropped or rejected. */
export function expectBalanced<T>(coordinator: WriteCoordinator<T>): void {
  const h = coordinator.health();
  expect(h.submitted).toBe(h.written + h.deadLettered + h.dropped + h.rejected + h.queueSize + h.inFlight);
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

export class RetryableError extends Error {
  override name = 'RetryableError';
  readonly retryable = true;
}

export class FatalError extends Error {
  override name = 'FatalError';
  readonly retryable = false;
}

/**
 * A scheduler over `base` that records every delay it is given and which scheduled actions are
 * still live (neither run nor unsubscribed).
 */
export function spyScheduler(base: SchedulerLike) {
  const delays: number[] = [];
  const live = new Set<{ readonly ms: number }>();
  const scheduler: SchedulerLike = {
    now: () => base.now(),
    schedule<S>(work: (this: SchedulerAction<S>, state?: S) => void, ms = 0, state?: S): Subscription {
      delays.push(ms);
      const entry = { ms };
      live.add(entry);
      const subscription = base.schedule<S>(
        function (this: SchedulerAction<S>, s?: S) {
          live.delete(entry);
          work.call(this, s);
        },
        ms,
        state,
      );
      subscription.add(() => live.delete(entry));
      return subscription;
    },
  };
  return { scheduler, delays, live };
}

/**
 * A coordinator whose sink holds every batch until `release()` lets one through (a release before
 * the batch arrives counts too); records what it wrote, in order.
 */
export function gatedCoordinator<T>(
  options: Partial<WriteCoordinatorOptions<T>>,
  registry: WriteCoordinator<unknown>[],
) {
  const written: T[] = [];
  let permits = 0;
  const waiting: (() => void)[] = [];
  const coordinator = new WriteCoordinator<T>({
    bus: null,
    capacity: 2,
    batchSize: 2,
    workers: 1,
    flushIntervalMs: 0,
    circuitBreaker: false,
    sink: async (batch) => {
      if (permits > 0) permits--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      written.push(...batch);
    },
    ...options,
  });
  registry.push(coordinator as WriteCoordinator<unknown>);
  coordinator.start();
  const release = () => {
    const next = waiting.shift();
    if (next !== undefined) next();
    else permits++;
  };
  return { coordinator, written, release };
}
