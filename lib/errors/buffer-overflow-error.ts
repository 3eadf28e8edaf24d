import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown (through `error()`) by a pacing operator whose buffer is full when a new value arrives and
 * whose `overflow` option is `'error'` (the default): `pauseWhile`, `throttleByLevel` and `pace`.
 *
 * @example
 * ```ts
 * source$.pipe(pauseWhile(paused$, { maxBuffered: 1_000 })).subscribe({
 *   error: (e) => isBufferOverflowError(e) && console.error(e.operator, e.limit, e.found), // pauseWhile 1000 1001
 * });
 * ```
 */
export class BufferOverflowError extends BackpressureError {
  readonly isBufferOverflowError = true;
  override name = 'BufferOverflowError';

  constructor(
    /** The buffer's bound: its `maxBuffered` option. */
    readonly limit: number,
    /** How many values it would have had to hold (`limit + 1`). */
    readonly found: number,
    /** The operator whose buffer overflowed, e.g. `'pauseWhile'`. */
    readonly operator: string = 'pacing operator',
  ) {
    super(
      `${operator} buffer overflow: expected at most ${limit} buffered values, found ${found}. ` +
        `Raise maxBuffered or choose overflow 'drop-oldest' or 'drop-newest'.`,
    );
  }
}

/**
 * Tells whether `error` is a {@link BufferOverflowError}.
 *
 * @example
 * ```ts
 * if (isBufferOverflowError(error)) metrics.increment('pacing_overflow');
 * ```
 */
export function isBufferOverflowError(error: unknown): error is BufferOverflowError {
  return hasBrand(error, 'isBufferOverflowError');
}
