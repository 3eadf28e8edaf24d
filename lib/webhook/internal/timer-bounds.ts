import { MAX_DELAY_MS, assertNumber, assertPositiveNumber } from '../../internal/validate.js';

/**
 * @internal Validates a delay option: a finite number of ms, `>= 0` (or `> 0` when `positive`), and
 * at most `MAX_DELAY_MS` (the longest delay a timer honours). Throws a TypeError or RangeError naming `name` otherwise.
 */
export function assertTimerMs(name: string, value: unknown, positive = false): number {
  const ms = positive ? assertPositiveNumber(name, value) : assertNumber(name, value, 0);
  if (ms > MAX_DELAY_MS) {
    throw new RangeError(
      `${name} must be at most ${MAX_DELAY_MS} ms (the longest timer delay), found ${String(ms)}`,
    );
  }
  return ms;
}

/** @internal `ms`, cut to what a timer can wait (for computed delays, such as a doubled backoff). */
export function clampTimerMs(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_DELAY_MS);
}
