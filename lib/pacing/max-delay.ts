import { describeValue } from '../errors/backpressure-error.js';

/**
 * @internal The longest delay, in ms, a timer can take: `setTimeout` and `setInterval` store it as
 * a signed 32-bit integer, and Node and browsers fire a longer one after 1 ms (Node warns with a
 * `TimeoutOverflowWarning`). A longer wait is cut to this: wait the maximum, then check again.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * @internal Checks a delay option in ms: a number within `[0, MAX_DELAY_MS]` (or `(0, ...]` unless
 * `allowZero`). `alternative` names another accepted value for the messages, e.g. ` or 'pause'`.
 */
export function assertDelayMs(name: string, value: unknown, allowZero: boolean, alternative = ''): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of ms${alternative}, found ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero) || value > MAX_DELAY_MS) {
    const range = `${allowZero ? '[0' : '(0'}, ${MAX_DELAY_MS}]`;
    throw new RangeError(
      `${name} must be a number of ms within ${range}${alternative}, found ${String(value)}`,
    );
  }
  return value;
}
