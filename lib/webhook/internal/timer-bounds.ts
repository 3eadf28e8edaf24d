import { assertNumber, assertPositiveNumber } from '../../internal/validate.js';

/**
 * @internal The longest delay `setTimeout` and `setInterval` honour, in ms (2^31 - 1, about 24.8
 * days). Above it, Node and browsers fire after about 1 ms instead, so that a "very long" wait
 * would turn into a busy loop.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * @internal Validates a delay option: a finite number of ms, `>= 0` (or `> 0` when `positive`), and
 * at most {@link MAX_TIMER_MS}. Throws a TypeError or RangeError naming `name` otherwise.
 */
export function assertTimerMs(name: string, value: unknown, positive = false): number {
  const ms = positive ? assertPositiveNumber(name, value) : assertNumber(name, value, 0);
  if (ms > MAX_TIMER_MS) {
    throw new RangeError(
      `${name} must be at most ${MAX_TIMER_MS} ms (the longest timer delay), found ${String(ms)}`,
    );
  }
  return ms;
}

/** @internal `ms`, cut to what a timer can wait (for computed delays, such as a doubled backoff). */
export function clampTimerMs(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
