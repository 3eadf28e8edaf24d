import { describeValue } from '../internal/describe-value.js';
import { assertDelayMs, assertFunction, assertInteger, assertNumber } from '../internal/validate.js';
import { defaultIsRetryable } from './is-retryable.js';

/**
 * How the coordinator retries a failed write: how many attempts, how long to wait between them, and
 * which errors are worth another attempt.
 *
 * @example
 * ```ts
 * const retry: RetryOptions = { maxAttempts: 3, initialBackoffMs: 100, jitter: false };
 * new WriteCoordinator({ sink, retry });
 * ```
 */
export interface RetryOptions {
  /** Attempts in all, the first included; `1` means no retry. An integer `>= 1`. @default 5 */
  readonly maxAttempts?: number;
  /**
   * Wait after the first failed attempt, in ms. A finite number within `[0, 2_147_483_647]`.
   * @default 50
   */
  readonly initialBackoffMs?: number;
  /**
   * Upper bound of any wait, in ms. A finite number within `[initialBackoffMs, 2_147_483_647]`
   * (2^31 - 1, the longest a timer can wait). @default 2000
   */
  readonly maxBackoffMs?: number;
  /** Factor applied to the wait after each further failure. A finite number `>= 1`. @default 2 */
  readonly multiplier?: number;
  /**
   * Scales each wait by a random factor in `[0.5, 1)`, so that workers failing together do not
   * retry together. @default true
   */
  readonly jitter?: boolean;
  /** Tells whether an error is worth another attempt. @default defaultIsRetryable */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Source of randomness for the jitter, returning values in `[0, 1)`; inject one in tests. @default Math.random */
  readonly random?: () => number;
}

/**
 * What the coordinator needs from a retry policy. Pass your own object of this shape as the `retry`
 * option to take full control (for instance a fixed schedule, or a budget shared between coordinators).
 *
 * @example
 * ```ts
 * const fixed: RetryPolicyLike = {
 *   maxAttempts: 4,
 *   isRetryable: () => true,
 *   backoffMs: (attempt) => [100, 500, 2_000][attempt - 1] ?? 2_000,
 * };
 * new WriteCoordinator({ sink, retry: fixed });
 * ```
 */
export interface RetryPolicyLike {
  /** Attempts in all, the first included: an integer `>= 1`. */
  readonly maxAttempts: number;
  /** Tells whether `error` is worth another attempt. */
  isRetryable(error: unknown): boolean;
  /** The wait in ms after failed attempt `attempt` (1-based) before the next one. */
  backoffMs(attempt: number): number;
}

/**
 * Exponential backoff with optional jitter: after failed attempt `n` it waits
 * `min(initialBackoffMs * multiplier^(n-1), maxBackoffMs)`, times `0.5 + random() * 0.5` with jitter.
 * The defaults (5 attempts, 50 ms doubling up to 2 s, jitter) are those of the Python market-data store's Phase 6.0A backpressure feedback.
 *
 * @throws RangeError or TypeError naming the option (`retry.maxAttempts`, ...), the expected range
 *   and the value found.
 * @example
 * ```ts
 * const policy = new RetryPolicy({ jitter: false });
 * [1, 2, 3, 4].map((n) => policy.backoffMs(n)); // [50, 100, 200, 400]
 * policy.isRetryable(new Error('deadlock detected')); // true
 * ```
 */
export class RetryPolicy implements RetryPolicyLike {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Wait after the first failed attempt, in ms. */
  readonly initialBackoffMs: number;
  /** Upper bound of any wait, in ms. */
  readonly maxBackoffMs: number;
  /** Growth factor of the wait. */
  readonly multiplier: number;
  /** Whether waits are randomised. */
  readonly jitter: boolean;
  private readonly classify: (error: unknown) => boolean;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `retry must be an options object, a policy object or undefined, found ${describeValue(options)}`,
      );
    }
    const {
      maxAttempts = 5,
      initialBackoffMs = 50,
      maxBackoffMs = 2_000,
      multiplier = 2,
      jitter = true,
      isRetryable = defaultIsRetryable,
      random = Math.random,
    } = options;
    this.maxAttempts = assertInteger('retry.maxAttempts', maxAttempts, 1);
    this.initialBackoffMs = assertDelayMs('retry.initialBackoffMs', initialBackoffMs);
    if (
      typeof maxBackoffMs === 'number' &&
      Number.isFinite(maxBackoffMs) &&
      maxBackoffMs < initialBackoffMs
    ) {
      throw new RangeError(
        `retry.maxBackoffMs must be a finite number >= retry.initialBackoffMs (${initialBackoffMs}), found ${maxBackoffMs}`,
      );
    }
    this.maxBackoffMs = assertDelayMs('retry.maxBackoffMs', maxBackoffMs);
    this.multiplier = assertNumber('retry.multiplier', multiplier, 1);
    if (typeof jitter !== 'boolean') {
      throw new TypeError(`retry.jitter must be a boolean, found ${describeValue(jitter)}`);
    }
    this.jitter = jitter;
    assertFunction('retry.isRetryable', isRetryable);
    assertFunction('retry.random', random);
    this.classify = isRetryable;
    this.random = random;
    // Bound, so that `policy.isRetryable` can be passed around as a callback.
    this.isRetryable = this.isRetryable.bind(this);
    this.backoffMs = this.backoffMs.bind(this);
  }

  /**
   * Tells whether `error` is worth another attempt, with the configured classifier.
   *
   * @example
   * ```ts
   * new RetryPolicy().isRetryable(Object.assign(new Error(), { code: 'EPIPE' })); // true
   * ```
   */
  isRetryable(error: unknown): boolean {
    return this.classify(error);
  }

  /**
   * The wait in ms after failed attempt `attempt` (1-based) before the next one.
   *
   * @example
   * ```ts
   * new RetryPolicy({ jitter: false, maxBackoffMs: 150 }).backoffMs(3); // 150 (200 capped)
   * ```
   */
  backoffMs(attempt: number): number {
    const exponent = Math.max(0, Math.floor(attempt) - 1);
    // Computed stepwise so that a large exponent saturates at the cap instead of overflowing to Infinity * 0.
    const base = Math.min(this.initialBackoffMs * this.multiplier ** exponent, this.maxBackoffMs);
    const capped = Number.isFinite(base) ? base : this.maxBackoffMs;
    if (!this.jitter) return capped;
    const r = Math.min(Math.max(Number(this.random()), 0), 1);
    return capped * (0.5 + (Number.isNaN(r) ? 0 : r) * 0.5);
  }
}

/**
 * Turns the coordinator's `retry` option into a policy: `undefined` or options become a
 * {@link RetryPolicy} (validated); an object with a `backoffMs` function is taken as a
 * {@link RetryPolicyLike} and checked for shape.
 *
 * @throws RangeError or TypeError naming the bad option or member.
 * @example
 * ```ts
 * toRetryPolicy(undefined).maxAttempts; // 5
 * toRetryPolicy({ maxAttempts: 2 }).maxAttempts; // 2
 * toRetryPolicy({ maxAttempts: 1, isRetryable: () => false, backoffMs: () => 0 }); // used as is
 * ```
 */
export function toRetryPolicy(option: RetryOptions | RetryPolicyLike | undefined): RetryPolicyLike {
  if (option === undefined) return new RetryPolicy();
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(
      `retry must be an options object, a policy object or undefined, found ${describeValue(option)}`,
    );
  }
  if (option instanceof RetryPolicy) return option;
  if (typeof (option as Partial<RetryPolicyLike>).backoffMs === 'function') {
    const policy = option as RetryPolicyLike;
    assertInteger('retry.maxAttempts', policy.maxAttempts, 1);
    assertFunction('retry.isRetryable', (policy as Partial<Record<'isRetryable', unknown>>).isRetryable);
    return policy;
  }
  return new RetryPolicy(option);
}
