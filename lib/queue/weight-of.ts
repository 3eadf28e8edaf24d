import { assertInteger } from '../internal/validate.js';
import { describeValue } from '../internal/describe-value.js';

/**
 * @internal Checks the `weigh` option: `undefined` (every item weighs 1) or a function.
 *
 * @throws TypeError naming the option and the value found.
 * @example
 * ```ts
 * const weigh = resolveWeigh<Buffer>((b: Buffer) => b.byteLength); // resolveWeigh(undefined) is null: count items
 * ```
 */
export function resolveWeigh<T>(weigh: unknown): ((item: T) => number) | null {
  if (weigh === undefined) return null;
  if (typeof weigh !== 'function') {
    throw new TypeError(`weigh must be a function (item) => number, found ${describeValue(weigh)}`);
  }
  return weigh as (item: T) => number;
}

/**
 * @internal The weight `weigh` gives `item`, checked. Weights are integers `>= 0` (bytes, rows), so
 * that the sums kept of them stay exact however many items come and go: with fractions, adding and
 * subtracting the same weights need not return to 0.
 *
 * @throws whatever `weigh` throws; TypeError / RangeError when it returns anything but an integer
 *   `>= 0` (a safe integer).
 * @example
 * ```ts
 * weightOf((b: Uint8Array) => b.byteLength, new Uint8Array(3)); // 3
 * ```
 */
export function weightOf<T>(weigh: (item: T) => number, item: T): number {
  return assertInteger('weigh(item)', weigh(item), 0);
}
