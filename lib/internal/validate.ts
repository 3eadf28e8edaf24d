import type { SchedulerLike } from 'rxjs';
import { describeValue } from './describe-value.js';

// Option checks shared by every constructor and operator, so that each bad input gets the same kind
// of error: a RangeError (wrong number) or TypeError (wrong type) naming the option, what was
// expected, and what was found.

/** Throws unless `value` is an integer in `[min, max]`. */
export function assertInteger(name: string, value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be an integer, found ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `within [${min}, ${max}]`;
    throw new RangeError(`${name} must be an integer ${range}, found ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in `[min, max]`. */
export function assertNumber(name: string, value: unknown, min = 0, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, found ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `within [${min}, ${max}]`;
    throw new RangeError(`${name} must be a finite number ${range}, found ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new RangeError(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, found ${describeValue(value)}`,
    );
  }
  return value as T;
}

/** Throws unless `value` is a function. */
export function assertFunction(name: string, value: unknown): void {
  if (typeof value !== 'function')
    throw new TypeError(`${name} must be a function, found ${describeValue(value)}`);
}

/** Throws unless `value` is an rxjs scheduler: an object with `schedule` and `now` functions. */
export function assertScheduler(name: string, value: unknown): SchedulerLike {
  const scheduler = value as Partial<SchedulerLike> | null;
  if (
    typeof scheduler !== 'object' ||
    scheduler === null ||
    typeof scheduler.schedule !== 'function' ||
    typeof scheduler.now !== 'function'
  ) {
    throw new TypeError(
      `${name} must be an rxjs SchedulerLike (with schedule and now), found ${describeValue(value)}`,
    );
  }
  return value as SchedulerLike;
}

/** Throws unless `value` is a non-empty string. */
export function assertNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${name} must be a non-empty string, found ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number `> 0`. */
export function assertPositiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, found ${describeValue(value)}`);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a finite number > 0, found ${String(value)}`);
  }
  return value;
}

/**
 * The longest delay a timer honours: Node's and browsers' `setTimeout` (which rxjs schedulers use)
 * fire after about 1 ms when given more than 2^31 - 1 ms, so every delay option is capped here.
 */
export const MAX_DELAY_MS = 2_147_483_647;

/**
 * The one check of every delay option: a finite number of ms within `[0, MAX_DELAY_MS]`, or
 * `(0, MAX_DELAY_MS]` when `positive`. `alternative` names another accepted value for the messages,
 * e.g. ` or 'pause'`. Throws a TypeError (not a number) or RangeError (out of range) naming `name`,
 * the range expected and the value found.
 */
export function assertDelayMs(
  name: string,
  value: unknown,
  { positive = false, alternative = '' }: { readonly positive?: boolean; readonly alternative?: string } = {},
): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number${alternative}, found ${describeValue(value)}`);
  }
  if (!Number.isFinite(value) || value < 0 || (value === 0 && positive) || value > MAX_DELAY_MS) {
    const range = `${positive ? '(0' : '[0'}, ${MAX_DELAY_MS}]`;
    throw new RangeError(
      `${name} must be a finite number within ${range}${alternative}, found ${String(value)}`,
    );
  }
  return value;
}

/**
 * `ms` cut to `[0, MAX_DELAY_MS]`: for computed delays (a doubled backoff, a wait until a deadline,
 * whatever a custom retry policy returns). `NaN` is 0, so that a bad computation never becomes a
 * timer rxjs would treat unpredictably.
 */
export function clampDelayMs(ms: number): number {
  return ms > 0 ? Math.min(ms, MAX_DELAY_MS) : 0;
}
