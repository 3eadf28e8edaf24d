import type { DeadLetterReason } from '../dead-letter/dead-letter-record.js';
import type { Batch } from './batch-writer.js';
import { STOPPED, STOPPING, heldItems, heldWeight, type CoordinatorCore } from './coordinator-core.js';
import { closeSteadyRoom, refreshSteadyRoom } from './steady-room.js';

// A batch's way out: taken by a worker, settled as written or dead-lettered, counted once, its
// room handed to waiting submits, and the drain a stop waits for announced.

/**
 * @internal The next batch for a worker: full, or partial once due (or when draining); `null`
 * when there is none now.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool(4, {
 *   take: () => takeBatch(core),
 *   process: (batch) => core.writer.process(batch),
 *   finished: () => workersMayEnd(core),
 * });
 * ```
 */
export function takeBatch<T>(core: CoordinatorCore<T>): Batch<T> | null {
  const now = core.scheduler.now();
  const items = core.queue.takeBatch(now);
  if (items === null) return null;
  return core.writer.begin(items, now, core.queue.takenWeight);
}

/**
 * @internal Whether a worker with nothing to do may end: after stop, or while stopping with
 * nothing queued.
 *
 * @example
 * ```ts
 * const source = { take, process, finished: () => workersMayEnd(core) };
 * ```
 */
export function workersMayEnd<T>(core: CoordinatorCore<T>): boolean {
  return core.lifecycle === STOPPED || (core.lifecycle === STOPPING && core.queue.length === 0);
}

/**
 * @internal A batch's outcome: written (`reason` null) or dead-lettered, counted from the
 * coordinator's own record of the batch. Frees its room for waiting submits, announces the depth,
 * and resolves a stop waiting for the drain once nothing is held.
 *
 * @example
 * ```ts
 * const writer = new BatchWriter({ ...writerConfig, settled: (batch, reason, error) => settleBatch(core, batch, reason, error) });
 * ```
 */
export function settleBatch<T>(
  core: CoordinatorCore<T>,
  batch: Batch<T>,
  reason: DeadLetterReason | null,
  error: unknown,
): void {
  const { counters, signal } = core;
  // The room freed (and any waiter admitted into it) changes what the steady room was worked out
  // from: no item takes the fast path until it is worked out again below. Before this batch left
  // (`inFlight` already counts it out), the depth was this batch's weight higher.
  closeSteadyRoom(core, heldWeight(core) + batch.weight);
  const size = batch.items.length;
  const durationMs = core.scheduler.now() - batch.takenAt;
  if (reason === null) {
    counters.countWritten(size, batch.attempts, durationMs);
  } else {
    counters.countDeadLettered(size, reason);
    core.outbox.put(batch.items, reason, error, batch.attempts);
    counters.recordWrite(size, batch.attempts, durationMs, reason);
  }
  // Admit waiting submits before announcing the depth, so that a batch finishing under a full
  // 'block' coordinator does not make the level flap down and up again.
  if (core.admission.waiting > 0 && core.lifecycle < STOPPING) core.admission.admitWaiting();
  signal.depthChanged();
  refreshSteadyRoom(core);
  // A probe handed back without an outcome (non-retryable error) leaves the breaker half-open.
  if (signal.holding) signal.releaseIdleHold();
  if (core.drained !== null && heldItems(core) === 0) {
    const drained = core.drained;
    core.drained = null;
    drained();
  }
}

/**
 * @internal Dead-letters every queued item, in batches of at most `batchSize`, with reason
 * `'shutdown'` (at stop).
 *
 * @example
 * ```ts
 * deadLetterQueued(core, new CoordinatorClosedError(core.id));
 * ```
 */
export function deadLetterQueued<T>(core: CoordinatorCore<T>, error: unknown): void {
  const { queue, counters } = core;
  while (queue.length > 0) {
    const items = queue.take(core.batchSize);
    counters.countDeadLettered(items.length, 'shutdown');
    core.outbox.put(items, 'shutdown', error, 0);
    counters.recordWrite(items.length, 0, 0, 'shutdown');
  }
  core.signal.depthChanged();
}
