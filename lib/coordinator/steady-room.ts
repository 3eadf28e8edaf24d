import { RUNNING, heldWeight, type CoordinatorCore } from './coordinator-core.js';

// The fast path of `trySubmit` and `submit`: while there is room and the level cannot change, an
// item goes straight into the queue. The room it may use (the steady room) is worked out after each
// depth change the full path handles, and closed before anything changes what it was worked out
// from; `spec/coordinator/steady-room.spec.ts` runs random workloads with and without it.

/**
 * @internal The fast path of `trySubmit` and `submit`, while `core.steadyRoom` allows it: the item
 * goes straight into the queue, counted as submitted, with no admission test and no level step
 * (it would admit it and find the level unchanged). `depth$` subscribers, if any, get the depth.
 *
 * @example
 * ```ts
 * if (core.steadyRoom > 0) takeSteady(core, row);
 * ```
 */
export function takeSteady<T>(core: CoordinatorCore<T>, item: T): void {
  core.steadyRoom--;
  core.queue.push(item, 1);
  core.counters.submitted++;
  if (core.depthObserved) core.signal.depthRose(heldWeight(core));
}

/**
 * @internal `takeSteady` for a coordinator with `weigh`, for an item of `weight` up to
 * `core.steadyWeight`.
 *
 * @example
 * ```ts
 * const weight = core.admission.weightOf(row);
 * if (core.steadyWeight > 0 && weight <= core.steadyWeight) takeSteadyWeighed(core, row, weight);
 * ```
 */
export function takeSteadyWeighed<T>(core: CoordinatorCore<T>, item: T, weight: number): void {
  core.steadyWeight -= weight;
  core.queue.push(item, weight);
  core.counters.submitted++;
  // An item of weight 0 leaves the depth as it was: nothing to emit.
  if (core.depthObserved && weight > 0) core.signal.depthRose(heldWeight(core));
}

/**
 * @internal Works out how much may next take the fast path (see `CoordinatorCore.steadyRoom`),
 * after the depth change just announced: the room left and the rise the pressure signal allows
 * with the level unchanged, whichever is less, in items or (with `weigh`) in weight; 0 when the
 * coordinator is not running or has anyone waiting.
 *
 * @example
 * ```ts
 * core.signal.depthChanged();
 * refreshSteadyRoom(core);
 * ```
 */
export function refreshSteadyRoom<T>(core: CoordinatorCore<T>): void {
  closeSteadyRoom(core);
  if (core.lifecycle !== RUNNING) return;
  const held = heldWeight(core);
  core.depthObserved = core.signal.depthObserved;
  const room = Math.max(0, Math.min(core.admission.freeRoom(held), core.signal.steadyRise(held)));
  if (core.admission.weigh === null) core.steadyRoom = room;
  else core.steadyWeight = room;
}

/**
 * @internal No item takes the fast path until `refreshSteadyRoom` works its room out again: called
 * before anything changes what that room was worked out from, or lets user code run before the
 * full path announces the depth. The pressure signal learns the depth the fast path reached
 * (`depthReached`, the depth now unless a change is already under way), which items taken while
 * nobody watched `depth$` did not tell it.
 *
 * @example
 * ```ts
 * closeSteadyRoom(core); // a submit is about to wait for room
 * ```
 */
export function closeSteadyRoom<T>(core: CoordinatorCore<T>, depthReached = heldWeight(core)): void {
  core.steadyRoom = 0;
  core.steadyWeight = 0;
  core.signal.caughtUp(depthReached);
}
