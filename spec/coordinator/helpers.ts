import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { WriteContext } from '../../lib/coordinator/sink.js';

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `predicate` holds, checking every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}

/** A sink that records every batch it stores (and every call it gets). */
export class RecordingSink<T> {
  readonly batches: T[][] = [];
  readonly calls: { size: number; attempt: number; at: number }[] = [];
  constructor(
    private readonly behaviour: (batch: readonly T[], context: WriteContext) => Promise<void> | void = () =>
      undefined,
  ) {}

  readonly write = async (batch: readonly T[], context: WriteContext): Promise<void> => {
    this.calls.push({ size: batch.length, attempt: context.attempt, at: Date.now() });
    await this.behaviour(batch, context);
    this.batches.push([...batch]);
  };

  get items(): T[] {
    return this.batches.flat();
  }
}

/** Rejects when the signal aborts (a sink that honours its signal), else resolves after `ms`. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Asserts the accounting invariant of DESIGN.md on a health snapshot. */
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
 * An asyncScheduler that records every delay it is given and which scheduled actions are still
 * live (neither run nor unsubscribed).
 */
export function spyScheduler() {
  const delays: number[] = [];
  const live = new Set<{ readonly ms: number }>();
  const scheduler: SchedulerLike = {
    now: () => asyncScheduler.now(),
    schedule<S>(work: (this: SchedulerAction<S>, state?: S) => void, ms = 0, state?: S): Subscription {
      delays.push(ms);
      const entry = { ms };
      live.add(entry);
      const subscription = asyncScheduler.schedule<S>(
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
