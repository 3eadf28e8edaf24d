import { CoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import type { CoordinatorCounters } from './coordinator-counters.js';
import type { StopReport } from './stop-report.js';
import { releaseCoordinatorId } from './coordinator-ids.js';
import { deadLetterQueued } from './batch-settlement.js';
import { IDLE, STOPPED, STOPPING, type CoordinatorCore } from './coordinator-core.js';
import { closeSteadyRoom } from './steady-room.js';

// The steps of `stop`, in the order the facade runs them: begin, wait for the drain within the
// deadline (or give up on what is held), let the dead-letter queue store, finalize, report.

/**
 * @internal Lifetime totals when a stop began, so that its report can say what the stop wrote.
 *
 * @example
 * ```ts
 * const before = totalsOf(core.counters);
 * ```
 */
export interface StopTotals {
  readonly written: number;
  readonly deadLettered: number;
}

/**
 * @internal The lifetime totals now.
 *
 * @example
 * ```ts
 * const before = totalsOf(core.counters);
 * ```
 */
export function totalsOf(counters: CoordinatorCounters): StopTotals {
  return { written: counters.written, deadLettered: counters.deadLettered };
}

/**
 * @internal The first step of `stop`: no more submits, waiting ones refused, and then either
 * drain (partial batches written at once, the workers started if they never were) or not (queued
 * items and batches waiting on backoff or on the breaker dead-lettered now, no new retries).
 * Returns the error every refusal and dead-letter record of this stop carries.
 *
 * @example
 * ```ts
 * const closed = beginStop(core, true);
 * ```
 */
export function beginStop<T>(core: CoordinatorCore<T>, drain: boolean): CoordinatorClosedError {
  const wasIdle = core.lifecycle === IDLE;
  core.lifecycle = STOPPING;
  closeSteadyRoom(core);
  const closed = new CoordinatorClosedError(core.id);
  // One error for every waiter, so that refusing 100 000 of them keeps stop's deadline (building
  // an error captures a stack); submitMany gives its call its own copy with `accepted`.
  core.admission.refuseWaiting(() => closed);
  if (drain) {
    core.queue.flushAll = true;
    if (wasIdle && core.queue.length > 0) core.pool.start();
  } else {
    core.writer.noRetries = true;
    deadLetterQueued(core, closed);
    // Batches waiting on backoff or on the breaker are not writes in progress: they go now.
    core.writer.endWaits(closed);
  }
  core.pool.wakeAll();
  return closed;
}

/**
 * @internal Resolves `true` once nothing is held, or `false` after `timeoutMs` on the
 * coordinator's scheduler. The caller checks `heldItems` first: with nothing held there is
 * nothing to wait for, and a stop without waiting finishes in the same tick.
 *
 * @example
 * ```ts
 * if (heldItems(core) > 0 && !(await drainedWithin(core, 5_000))) giveUpHeld(core, closed);
 * ```
 */
export function drainedWithin<T>(core: CoordinatorCore<T>, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = core.scheduler.schedule(() => {
      core.drained = null;
      resolve(false);
    }, timeoutMs);
    core.drained = () => {
      timer.unsubscribe();
      resolve(true);
    };
  });
}

/**
 * @internal At the stop's deadline: aborts what is in flight and dead-letters everything held
 * with reason `'shutdown'`, without waiting for the sink.
 *
 * @example
 * ```ts
 * giveUpHeld(core, closed);
 * ```
 */
export function giveUpHeld<T>(core: CoordinatorCore<T>, closed: CoordinatorClosedError): void {
  core.writer.giveUp(closed);
  deadLetterQueued(core, closed);
}

/**
 * @internal The last step of `stop`: the coordinator is stopped, its timers and breaker are
 * disposed, its workers end, its id is free on the bus again, and its streams complete.
 *
 * @example
 * ```ts
 * finalize(core, closed);
 * ```
 */
export function finalize<T>(core: CoordinatorCore<T>, reason: CoordinatorClosedError): void {
  const { breaker, signal, bus, id } = core;
  core.lifecycle = STOPPED;
  core.queue.close();
  core.writer.endWaits(reason);
  core.breakerSubscription?.unsubscribe();
  breaker?.dispose(reason);
  // The disposed breaker holds nothing back any more: the level returns to the depth's own (0 held).
  if (signal.holding) signal.releaseHold('circuit_closed');
  core.pool.wakeAll();
  // The id is free again, and the bus no longer reports a level for a coordinator that is gone.
  if (core.claimedId || core.reservedId) releaseCoordinatorId(bus, id, core.claimedId, core.reservedId);
  // A bus of one's own may be any object with `publish`: `forget` is optional there.
  (bus as { forget?: (coordinatorId: string) => void } | null)?.forget?.(id);
  signal.complete();
  core.reports.complete();
  core.counters.complete();
}

/**
 * @internal The report `stop` resolves with: drained when nothing was dead-lettered for the
 * shutdown, what the stop wrote and dead-lettered, and the lifetime totals.
 *
 * @example
 * ```ts
 * const before = totalsOf(core.counters);
 * // ... the stop runs ...
 * const report = stopReport(core.counters, before, core.scheduler.now() - startedAt);
 * ```
 */
export function stopReport(
  counters: CoordinatorCounters,
  before: StopTotals,
  durationMs: number,
): StopReport {
  return {
    drained: counters.shutdownDeadLettered === 0,
    writtenDuringStop: counters.written - before.written,
    deadLetteredDuringStop: counters.deadLettered - before.deadLettered,
    written: counters.written,
    deadLettered: counters.deadLettered,
    durationMs,
  };
}
