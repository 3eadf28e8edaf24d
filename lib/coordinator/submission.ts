import { RESOLVED, type AdmissionTarget } from '../queue/admission.js';
import { describeValue } from '../internal/describe-value.js';
import { CoordinatorClosedError, isCoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import { isQueueFullError } from '../errors/queue-full-error.js';
import { isQueueTimeoutError } from '../errors/queue-timeout-error.js';
import { isItemTooHeavyError } from '../errors/item-too-heavy-error.js';
import type { ReadyOptions, SubmitOptions } from './write-coordinator-options.js';
import { checkReadyOptions, checkSubmitOptions } from './resolve-coordinator-options.js';
import { RUNNING, STOPPING, heldWeight, type CoordinatorCore } from './coordinator-core.js';
import { closeSteadyRoom, refreshSteadyRoom, takeSteady, takeSteadyWeighed } from './steady-room.js';

// The way in: the checks and the admission behind `submit`, `submitMany`, `trySubmit` and `ready`.
// Every item offered is counted once as submitted: stored, dropped, or refused.

/**
 * @internal `WriteCoordinator.submit`: bad options reject (an async method never throws).
 *
 * @example
 * ```ts
 * await submit(core, row, { timeoutMs: 1_000 });
 * ```
 */
export function submit<T>(core: CoordinatorCore<T>, item: T, options?: SubmitOptions): Promise<void> {
  if (options !== undefined) {
    try {
      checkSubmitOptions(options);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
  }
  return offer(core, item, options);
}

/**
 * @internal `submit` after its options were checked: refused once stopping, auto-starts an idle
 * coordinator, admits at once when there is room (the shared resolved promise), otherwise applies
 * the overflow strategy.
 *
 * @example
 * ```ts
 * const result = offer(core, row, undefined);
 * if (result !== RESOLVED) await result;
 * ```
 */
export function offer<T>(
  core: CoordinatorCore<T>,
  item: T,
  options: SubmitOptions | undefined,
): Promise<void> {
  if (core.steadyRoom > 0) {
    takeSteady(core, item);
    return RESOLVED;
  }
  if (core.lifecycle !== RUNNING) {
    if (core.lifecycle >= STOPPING) return refuse(core, new CoordinatorClosedError(core.id));
    if (core.autoStart) {
      try {
        core.start();
      } catch (error) {
        return refuse(core, error as Error);
      }
    }
  }
  let weight = 1;
  if (core.admission.weigh !== null) {
    try {
      weight = core.admission.weightOf(item);
    } catch (error) {
      // What `weigh` threw, or the check of its result: the item was not submitted, nothing counts.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    if (core.steadyWeight > 0 && weight <= core.steadyWeight) {
      takeSteadyWeighed(core, item, weight);
      return RESOLVED;
    }
  }
  // The full path: a weighed item too heavy for the steady room may wait in line, and admitting it
  // runs user code (dropped$, then depth$, level$ and feedback$ subscribers) before the room is
  // worked out again; meanwhile nothing may take the fast path.
  closeSteadyRoom(core);
  if (core.admission.tryAdmit(item, weight)) {
    core.signal.depthChanged();
    refreshSteadyRoom(core);
    return RESOLVED;
  }
  return core.admission.overflowed(item, weight, options?.signal, options?.timeoutMs);
}

/**
 * @internal `WriteCoordinator.submitMany`: offers in order, stops at the first refusal and tells
 * its error how many of this call's items were `accepted` before it.
 *
 * @example
 * ```ts
 * await submitMany(core, rows, undefined);
 * ```
 */
export async function submitMany<T>(
  core: CoordinatorCore<T>,
  items: Iterable<T>,
  options: SubmitOptions | undefined,
): Promise<void> {
  if (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function') {
    throw new TypeError(`items must be iterable, found ${describeValue(items)}`);
  }
  if (options !== undefined) checkSubmitOptions(options);
  let accepted = 0;
  try {
    for (const item of items) {
      const result = offer(core, item, options);
      if (result !== RESOLVED) await result;
      accepted++;
    }
  } catch (error) {
    if (isCoordinatorClosedError(error)) {
      // Waits refused at stop share one error (refusing them stays O(1) each): this call gets its own.
      const own = new CoordinatorClosedError(error.coordinatorId, error.message);
      own.accepted = accepted;
      throw own;
    }
    if (isQueueFullError(error) || isQueueTimeoutError(error) || isItemTooHeavyError(error)) {
      (error as { accepted?: number }).accepted = accepted;
    }
    throw error;
  }
}

/**
 * @internal `WriteCoordinator.trySubmit`: admits without waiting (or claims the room a resolved
 * `ready` holds), drops under a drop strategy, and otherwise returns `false` counting nothing.
 *
 * @example
 * ```ts
 * if (!trySubmit(core, row)) await ready(core, undefined);
 * ```
 */
export function trySubmit<T>(core: CoordinatorCore<T>, item: T): boolean {
  if (core.steadyRoom > 0) {
    takeSteady(core, item);
    return true;
  }
  if (core.lifecycle !== RUNNING) {
    if (core.lifecycle >= STOPPING) throw new CoordinatorClosedError(core.id);
    // As `submit` does: a producer fed through `trySubmit` (or `submitTo`) must not wait forever
    // on a coordinator nobody started.
    if (core.autoStart) core.start();
  }
  const weight = core.admission.weigh === null ? 1 : core.admission.weightOf(item);
  if (core.steadyWeight > 0 && weight <= core.steadyWeight) {
    takeSteadyWeighed(core, item, weight);
    return true;
  }
  // The full path, as in `offer`: nothing takes the fast path until the room is worked out again.
  closeSteadyRoom(core);
  if (core.admission.claim(item, weight)) {
    core.signal.depthChanged();
    refreshSteadyRoom(core);
    return true;
  }
  if (core.admission.refusesWhenFull) return false;
  void core.admission.overflowed(item, weight, undefined, undefined);
  return true;
}

/**
 * @internal `WriteCoordinator.ready`: bad options throw at once, a stopping coordinator rejects.
 *
 * @example
 * ```ts
 * await ready(core, { timeoutMs: 5_000 });
 * ```
 */
export function ready<T>(core: CoordinatorCore<T>, options: ReadyOptions | undefined): Promise<void> {
  if (options !== undefined) checkReadyOptions(options);
  if (core.lifecycle >= STOPPING) return Promise.reject(new CoordinatorClosedError(core.id));
  const result = core.admission.ready(options?.signal, options?.timeoutMs, options?.weight);
  // A caller now waits for room: newcomers must not take the fast path ahead of it.
  if (result !== RESOLVED) closeSteadyRoom(core);
  return result;
}

/**
 * @internal What the coordinator's admission admits into: its batch queue, with everything held
 * (queued plus in flight) counting against capacity, and the counting of every item offered.
 * `core` is read when the admission calls, once the coordinator is built.
 *
 * @example
 * ```ts
 * const admission = new Admission<Row>(capacity, overflow, scheduler, admissionTarget(() => core, null));
 * ```
 */
export function admissionTarget<T>(
  core: () => CoordinatorCore<T>,
  weigh: ((item: T) => number) | null = null,
): AdmissionTarget<T> {
  return {
    weigh,
    held: () => heldWeight(core()),
    store: (item, weight) => {
      const c = core();
      c.queue.push(item, weight);
      c.counters.submitted++;
    },
    evictable: () => core().queue.weight,
    evictOldest: () => core().queue.shift(),
    full: () => core().queue.flushSoon(),
    dropped: (item, newcomer) => {
      const c = core();
      if (newcomer) c.counters.submitted++;
      c.counters.dropped++;
      c.reports.dropped(item);
    },
    // A refused offer and a withdrawn wait (abort, timeout, stop) count as refused submits.
    refused: () => core().counters.countRefused(),
    roomReleased: () => {
      const c = core();
      if (c.lifecycle >= STOPPING) return;
      c.admission.admitWaiting();
      c.signal.depthChanged();
      refreshSteadyRoom(c);
    },
  };
}

/** Counts a refused submit and returns its rejection. */
function refuse<T>(core: CoordinatorCore<T>, error: Error): Promise<void> {
  core.counters.countRefused();
  return Promise.reject(error);
}
