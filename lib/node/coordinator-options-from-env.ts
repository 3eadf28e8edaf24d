import type { CircuitBreakerOptions } from '../circuit-breaker/circuit-breaker.js';
import { describeValue } from '../internal/describe-value.js';
import { MAX_DELAY_MS } from '../internal/validate.js';
import { resolveWatermarks, type Watermarks } from '../levels/watermarks.js';
import { OVERFLOW_STRATEGIES, type OverflowStrategy } from '../queue/bounded-queue.js';
import { RetryPolicy, type RetryOptions } from '../retry/retry-policy.js';

/**
 * The `WriteCoordinator` options that {@link coordinatorOptionsFromEnv} can read from the
 * environment. Only the options whose variables are set are present, so spreading the result over
 * code defaults lets the environment override them.
 *
 * @example
 * ```ts
 * const fromEnv: CoordinatorEnvOptions = coordinatorOptionsFromEnv();
 * new WriteCoordinator({ sink, capacity: 5_000, ...fromEnv });
 * ```
 */
export interface CoordinatorEnvOptions {
  /** From `<PREFIX>ID`. */
  readonly id?: string;
  /** From `<PREFIX>CAPACITY`, an integer `>= 1`. */
  readonly capacity?: number;
  /** From `<PREFIX>WORKERS`, an integer `>= 1`. */
  readonly workers?: number;
  /** From `<PREFIX>BATCH_SIZE`, an integer `>= 1`. */
  readonly batchSize?: number;
  /** From `<PREFIX>FLUSH_INTERVAL_MS`, a number within `[0, 2147483647]`. */
  readonly flushIntervalMs?: number;
  /** From `<PREFIX>OVERFLOW`: `block`, `reject`, `drop-oldest` or `drop-newest`. */
  readonly overflow?: OverflowStrategy;
  /** From `<PREFIX>WRITE_TIMEOUT_MS`, a number within `(0, 2147483647]`. */
  readonly writeTimeoutMs?: number;
  /** From `<PREFIX>SOURCE`. */
  readonly source?: string;
  /**
   * From `<PREFIX>WATERMARK_SOFT`, `_HARD`, `_SOFT_EXIT`, `_HARD_EXIT` (fractions in [0, 1]) and
   * `<PREFIX>WATERMARK_MIN_DWELL_MS` (ms within [0, 2147483647]).
   */
  readonly watermarks?: Watermarks;
  /** From `<PREFIX>RETRY_MAX_ATTEMPTS`, `_INITIAL_BACKOFF_MS`, `_MAX_BACKOFF_MS`, `_MULTIPLIER`, `_JITTER`. */
  readonly retry?: RetryOptions;
  /**
   * From `<PREFIX>CIRCUIT_BREAKER` (`false` disables the breaker, and then the two settings below are
   * ignored), `<PREFIX>CIRCUIT_FAILURE_THRESHOLD` and `<PREFIX>CIRCUIT_HALF_OPEN_AFTER_MS`.
   */
  readonly circuitBreaker?: CircuitBreakerOptions | false;
}

/**
 * Options of {@link coordinatorOptionsFromEnv}.
 *
 * @example
 * ```ts
 * const options: CoordinatorEnvReadOptions = { prefix: 'ORDERS_' };
 * ```
 */
export interface CoordinatorEnvReadOptions {
  /** Prefix of every variable name. @default 'BACKPRESSURE_' */
  readonly prefix?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const WATERMARK_FIELDS = [
  ['WATERMARK_SOFT', 'soft'],
  ['WATERMARK_HARD', 'hard'],
  ['WATERMARK_SOFT_EXIT', 'softExit'],
  ['WATERMARK_HARD_EXIT', 'hardExit'],
] as const;

const MIN_DWELL_FIELD = 'WATERMARK_MIN_DWELL_MS';

const RETRY_FIELDS = {
  maxAttempts: 'RETRY_MAX_ATTEMPTS',
  initialBackoffMs: 'RETRY_INITIAL_BACKOFF_MS',
  maxBackoffMs: 'RETRY_MAX_BACKOFF_MS',
  multiplier: 'RETRY_MULTIPLIER',
  jitter: 'RETRY_JITTER',
} as const;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads `WriteCoordinator` options from environment variables (twelve-factor configuration). Only
 * variables that are set and not blank are read; the result holds only those options.
 *
 * | variable (default prefix `BACKPRESSURE_`) | option | form |
 * | --- | --- | --- |
 * | `ID`, `SOURCE` | `id`, `source` | text |
 * | `CAPACITY`, `WORKERS`, `BATCH_SIZE` | same, camelCase | integer `>= 1` |
 * | `FLUSH_INTERVAL_MS` | `flushIntervalMs` | number within `[0, 2147483647]` |
 * | `WRITE_TIMEOUT_MS` | `writeTimeoutMs` | number within `(0, 2147483647]` |
 * | `OVERFLOW` | `overflow` | `block`, `reject`, `drop-oldest`, `drop-newest` |
 * | `WATERMARK_SOFT`, `_HARD`, `_SOFT_EXIT`, `_HARD_EXIT` | `watermarks.*` | number in [0, 1], checked together |
 * | `WATERMARK_MIN_DWELL_MS` | `watermarks.minDwellMs` | number within `[0, 2147483647]` |
 * | `RETRY_MAX_ATTEMPTS` | `retry.maxAttempts` | integer `>= 1` |
 * | `RETRY_INITIAL_BACKOFF_MS`, `RETRY_MAX_BACKOFF_MS` | `retry.*` | number within `[0, 2147483647]`, max `>=` initial |
 * | `RETRY_MULTIPLIER` | `retry.multiplier` | number `>= 1` |
 * | `RETRY_JITTER`, `CIRCUIT_BREAKER` | `retry.jitter`, `circuitBreaker` (`false` disables it) | `true` / `false` (or `1` / `0`) |
 * | `CIRCUIT_FAILURE_THRESHOLD` | `circuitBreaker.failureThreshold` | integer `>= 1` |
 * | `CIRCUIT_HALF_OPEN_AFTER_MS` | `circuitBreaker.halfOpenAfterMs` | number within `[0, 2147483647]` |
 *
 * Delays stop at 2147483647 ms (2^31 - 1, about 24.8 days): a timer given more fires at once.
 *
 * @throws RangeError or TypeError naming the variable, the expected form and the value found, e.g.
 *   `BACKPRESSURE_CAPACITY must be an integer >= 1, found "ten"`. When variables are fine one by one
 *   but not together (watermarks, backoff bounds), the error names the variables of the group with
 *   their values, followed by the message of the check that failed (also its `cause`).
 * @example
 * ```ts
 * import { coordinatorOptionsFromEnv } from 'rxjs-backpressure/node';
 *
 * // BACKPRESSURE_CAPACITY=20000 BACKPRESSURE_CIRCUIT_BREAKER=false node ingest.js
 * const coordinator = new WriteCoordinator({ sink, ...coordinatorOptionsFromEnv() });
 * ```
 */
export function coordinatorOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: CoordinatorEnvReadOptions = {},
): CoordinatorEnvOptions {
  if (typeof env !== 'object' || env === null) {
    throw new TypeError(`env must be an object of strings, found ${describeValue(env)}`);
  }
  const { prefix = 'BACKPRESSURE_' } = options ?? {};
  if (typeof prefix !== 'string')
    throw new TypeError(`prefix must be a string, found ${describeValue(prefix)}`);
  const reader = new EnvReader(env, prefix);
  const result: {
    -readonly [K in keyof CoordinatorEnvOptions]: CoordinatorEnvOptions[K];
  } = {};

  const id = reader.text('ID');
  if (id !== undefined) result.id = id;
  const capacity = reader.integer('CAPACITY', 1);
  if (capacity !== undefined) result.capacity = capacity;
  const workers = reader.integer('WORKERS', 1);
  if (workers !== undefined) result.workers = workers;
  const batchSize = reader.integer('BATCH_SIZE', 1);
  if (batchSize !== undefined) result.batchSize = batchSize;
  const flushIntervalMs = reader.number('FLUSH_INTERVAL_MS', 0, false, MAX_DELAY_MS);
  if (flushIntervalMs !== undefined) result.flushIntervalMs = flushIntervalMs;
  const overflow = reader.oneOf('OVERFLOW', OVERFLOW_STRATEGIES);
  if (overflow !== undefined) result.overflow = overflow;
  const writeTimeoutMs = reader.number('WRITE_TIMEOUT_MS', 0, true, MAX_DELAY_MS);
  if (writeTimeoutMs !== undefined) result.writeTimeoutMs = writeTimeoutMs;
  const source = reader.text('SOURCE');
  if (source !== undefined) result.source = source;

  const watermarks: { -readonly [K in keyof Watermarks]: Watermarks[K] } = {};
  for (const [suffix, field] of WATERMARK_FIELDS) {
    const value = reader.number(suffix, 0, false, 1);
    if (value !== undefined) watermarks[field] = value;
  }
  // A delay, not a fraction: it has its own bounds, and is checked with the others all the same.
  const minDwellMs = reader.number(MIN_DWELL_FIELD, 0, false, MAX_DELAY_MS);
  if (minDwellMs !== undefined) watermarks.minDwellMs = minDwellMs;
  if (Object.keys(watermarks).length > 0) {
    // The cross-field rules (soft < hard, exits below entries) name the options; add the variables.
    reader.together(
      () => resolveWatermarks(watermarks),
      [
        ...WATERMARK_FIELDS.map(([suffix, field]) => [suffix, `watermarks.${field}`] as const),
        [MIN_DWELL_FIELD, 'watermarks.minDwellMs'] as const,
      ],
    );
    result.watermarks = Object.freeze(watermarks);
  }

  const retry: { -readonly [K in keyof RetryOptions]: RetryOptions[K] } = {};
  const maxAttempts = reader.integer(RETRY_FIELDS.maxAttempts, 1);
  if (maxAttempts !== undefined) retry.maxAttempts = maxAttempts;
  const initialBackoffMs = reader.number(RETRY_FIELDS.initialBackoffMs, 0, false, MAX_DELAY_MS);
  if (initialBackoffMs !== undefined) retry.initialBackoffMs = initialBackoffMs;
  const maxBackoffMs = reader.number(RETRY_FIELDS.maxBackoffMs, 0, false, MAX_DELAY_MS);
  if (maxBackoffMs !== undefined) retry.maxBackoffMs = maxBackoffMs;
  const multiplier = reader.number(RETRY_FIELDS.multiplier, 1);
  if (multiplier !== undefined) retry.multiplier = multiplier;
  const jitter = reader.boolean(RETRY_FIELDS.jitter);
  if (jitter !== undefined) retry.jitter = jitter;
  if (Object.keys(retry).length > 0) {
    reader.together(
      () => new RetryPolicy(retry),
      Object.entries(RETRY_FIELDS).map(([field, suffix]) => [suffix, `retry.${field}`] as const),
    );
    result.retry = Object.freeze(retry);
  }

  const enabled = reader.boolean('CIRCUIT_BREAKER');
  const failureThreshold = reader.integer('CIRCUIT_FAILURE_THRESHOLD', 1);
  const halfOpenAfterMs = reader.number('CIRCUIT_HALF_OPEN_AFTER_MS', 0, false, MAX_DELAY_MS);
  if (enabled === false) {
    result.circuitBreaker = false;
  } else if (enabled === true || failureThreshold !== undefined || halfOpenAfterMs !== undefined) {
    const circuitBreaker: { -readonly [K in keyof CircuitBreakerOptions]: CircuitBreakerOptions[K] } = {};
    if (failureThreshold !== undefined) circuitBreaker.failureThreshold = failureThreshold;
    if (halfOpenAfterMs !== undefined) circuitBreaker.halfOpenAfterMs = halfOpenAfterMs;
    result.circuitBreaker = Object.freeze(circuitBreaker);
  }
  return result;
}

/** Reads and checks one variable at a time, naming it in every error. */
class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly prefix: string,
  ) {}

  /** The trimmed value, or undefined when unset or blank (`FOO=` in a compose file means unset). */
  raw(suffix: string): string | undefined {
    const value = this.env[this.prefix + suffix];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw new TypeError(`${this.prefix}${suffix} must be a string, found ${describeValue(value)}`);
    }
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  text(suffix: string): string | undefined {
    return this.raw(suffix);
  }

  integer(suffix: string, min: number): number | undefined {
    const raw = this.raw(suffix);
    if (raw === undefined) return undefined;
    const expected = `an integer >= ${min}`;
    if (!INTEGER.test(raw)) throw new TypeError(this.message(suffix, expected, raw));
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min)
      throw new RangeError(this.message(suffix, expected, raw));
    return value;
  }

  number(suffix: string, min: number, exclusive = false, max?: number): number | undefined {
    const raw = this.raw(suffix);
    if (raw === undefined) return undefined;
    const lower = exclusive ? `> ${min}` : `>= ${min}`;
    const expected =
      max === undefined ? `a number ${lower}` : `a number within ${exclusive ? '(' : '['}${min}, ${max}]`;
    if (!DECIMAL.test(raw)) throw new TypeError(this.message(suffix, expected, raw));
    const value = Number(raw);
    const tooLow = exclusive ? value <= min : value < min;
    if (!Number.isFinite(value) || tooLow || (max !== undefined && value > max)) {
      throw new RangeError(this.message(suffix, expected, raw));
    }
    return value;
  }

  boolean(suffix: string): boolean | undefined {
    const raw = this.raw(suffix);
    if (raw === undefined) return undefined;
    const lower = raw.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    throw new TypeError(this.message(suffix, 'true or false', raw));
  }

  oneOf<T extends string>(suffix: string, allowed: readonly T[]): T | undefined {
    const raw = this.raw(suffix);
    if (raw === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new RangeError(this.message(suffix, `one of ${allowed.join(', ')}`, raw));
    }
    return raw as T;
  }

  /**
   * Runs a cross-field check of another module, whose errors name options (`watermarks.soft`), not
   * variables. When it throws, throws the same kind of error led by the group's variables that are
   * set, with their values, then the check's own message unchanged (the check's error is the
   * `cause`) and which option each variable sets. The message of the check is not parsed, so its
   * wording is free to change.
   */
  together(check: () => unknown, variables: readonly (readonly [suffix: string, option: string])[]): void {
    try {
      check();
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const set = variables.flatMap(([suffix, option]) => {
        const raw = this.raw(suffix);
        return raw === undefined ? [] : [{ name: this.prefix + suffix, option, raw }];
      });
      const values = set.map(({ name, raw }) => `${name}=${JSON.stringify(raw)}`).join(', ');
      const options = set.map(({ name, option }) => `${name} sets ${option}`);
      if (set.length < variables.length) options.push('the others keep their defaults');
      const Kind = error instanceof TypeError ? TypeError : error instanceof RangeError ? RangeError : Error;
      throw new Kind(`${values}: ${error.message} (${options.join('; ')})`, { cause: error });
    }
  }

  private message(suffix: string, expected: string, raw: string): string {
    return `${this.prefix}${suffix} must be ${expected}, found ${JSON.stringify(raw)}`;
  }
}
