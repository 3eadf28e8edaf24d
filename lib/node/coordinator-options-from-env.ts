import type { CircuitBreakerOptions } from '../circuit-breaker/circuit-breaker.js';
import { describeValue } from '../errors/backpressure-error.js';
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
  /** From `<PREFIX>FLUSH_INTERVAL_MS`, a number `>= 0`. */
  readonly flushIntervalMs?: number;
  /** From `<PREFIX>OVERFLOW`: `block`, `reject`, `drop-oldest` or `drop-newest`. */
  readonly overflow?: OverflowStrategy;
  /** From `<PREFIX>WRITE_TIMEOUT_MS`, a number `> 0`. */
  readonly writeTimeoutMs?: number;
  /** From `<PREFIX>SOURCE`. */
  readonly source?: string;
  /** From `<PREFIX>WATERMARK_SOFT`, `_HARD`, `_SOFT_EXIT`, `_HARD_EXIT` (fractions in [0, 1]). */
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
 * | `FLUSH_INTERVAL_MS` | `flushIntervalMs` | number `>= 0` |
 * | `WRITE_TIMEOUT_MS` | `writeTimeoutMs` | number `> 0` |
 * | `OVERFLOW` | `overflow` | `block`, `reject`, `drop-oldest`, `drop-newest` |
 * | `WATERMARK_SOFT`, `_HARD`, `_SOFT_EXIT`, `_HARD_EXIT` | `watermarks.*` | number in [0, 1], checked together |
 * | `RETRY_MAX_ATTEMPTS` | `retry.maxAttempts` | integer `>= 1` |
 * | `RETRY_INITIAL_BACKOFF_MS`, `RETRY_MAX_BACKOFF_MS` | `retry.*` | number `>= 0`, max `>=` initial |
 * | `RETRY_MULTIPLIER` | `retry.multiplier` | number `>= 1` |
 * | `RETRY_JITTER`, `CIRCUIT_BREAKER` | `retry.jitter`, `circuitBreaker` (`false` disables it) | `true` / `false` (or `1` / `0`) |
 * | `CIRCUIT_FAILURE_THRESHOLD` | `circuitBreaker.failureThreshold` | integer `>= 1` |
 * | `CIRCUIT_HALF_OPEN_AFTER_MS` | `circuitBreaker.halfOpenAfterMs` | number `>= 0` |
 *
 * @throws RangeError or TypeError naming the variable, the expected form and the value found, e.g.
 *   `BACKPRESSURE_CAPACITY must be an integer >= 1, found "ten"`.
 * @example
 * ```ts
 * import { coordinatorOptionsFromEnv } from 'rxjs-backpressure/node';
 *
 * // BACKPRESSURE_CAPACITY=20000 BACKPRESSURE_CIRCUIT_BREAKER=false node ingest.js
 * const coordinator = new WriteCoordinator({ sink, ...coordinatorOptionsFromEnv() });
 * ```
 */
export function coordinatorOptionsFromEnv(
  env: Env = process.env,
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
  const flushIntervalMs = reader.number('FLUSH_INTERVAL_MS', 0);
  if (flushIntervalMs !== undefined) result.flushIntervalMs = flushIntervalMs;
  const overflow = reader.oneOf('OVERFLOW', OVERFLOW_STRATEGIES);
  if (overflow !== undefined) result.overflow = overflow;
  const writeTimeoutMs = reader.number('WRITE_TIMEOUT_MS', 0, true);
  if (writeTimeoutMs !== undefined) result.writeTimeoutMs = writeTimeoutMs;
  const source = reader.text('SOURCE');
  if (source !== undefined) result.source = source;

  const watermarks: { -readonly [K in keyof Watermarks]: Watermarks[K] } = {};
  for (const [suffix, field] of WATERMARK_FIELDS) {
    const value = reader.number(suffix, 0, false, 1);
    if (value !== undefined) watermarks[field] = value;
  }
  if (Object.keys(watermarks).length > 0) {
    // The cross-field rules (soft < hard, exits below entries) name the option; name the variable.
    reader.translate(
      () => resolveWatermarks(watermarks),
      (field) => {
        const entry = WATERMARK_FIELDS.find(([, f]) => f === field);
        return entry === undefined ? undefined : entry[0];
      },
      'watermarks',
    );
    result.watermarks = Object.freeze(watermarks);
  }

  const retry: { -readonly [K in keyof RetryOptions]: RetryOptions[K] } = {};
  const maxAttempts = reader.integer(RETRY_FIELDS.maxAttempts, 1);
  if (maxAttempts !== undefined) retry.maxAttempts = maxAttempts;
  const initialBackoffMs = reader.number(RETRY_FIELDS.initialBackoffMs, 0);
  if (initialBackoffMs !== undefined) retry.initialBackoffMs = initialBackoffMs;
  const maxBackoffMs = reader.number(RETRY_FIELDS.maxBackoffMs, 0);
  if (maxBackoffMs !== undefined) retry.maxBackoffMs = maxBackoffMs;
  const multiplier = reader.number(RETRY_FIELDS.multiplier, 1);
  if (multiplier !== undefined) retry.multiplier = multiplier;
  const jitter = reader.boolean(RETRY_FIELDS.jitter);
  if (jitter !== undefined) retry.jitter = jitter;
  if (Object.keys(retry).length > 0) {
    reader.translate(
      () => new RetryPolicy(retry),
      (field) => RETRY_FIELDS[field as keyof typeof RETRY_FIELDS],
      'retry',
    );
    result.retry = Object.freeze(retry);
  }

  const enabled = reader.boolean('CIRCUIT_BREAKER');
  const failureThreshold = reader.integer('CIRCUIT_FAILURE_THRESHOLD', 1);
  const halfOpenAfterMs = reader.number('CIRCUIT_HALF_OPEN_AFTER_MS', 0);
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
    const expected = max === undefined ? `a number ${lower}` : `a number within [${min}, ${max}]`;
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
   * Runs a cross-field check that throws errors naming `<group>.<field>`, and rewrites the message to
   * name the variable instead, quoting the value as it appears in the environment.
   */
  translate(check: () => unknown, variableOf: (field: string) => string | undefined, group: string): void {
    try {
      check();
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const match = new RegExp(`^${group}\\.(\\w+) must be (.*), found (.*)$`).exec(error.message);
      const suffix = match?.[1] === undefined ? undefined : variableOf(match[1]);
      if (match === null || suffix === undefined) throw error;
      const rule = (match[2] ?? '').replace(new RegExp(`${group}\\.(\\w+)`, 'g'), (_, field: string) => {
        const other = variableOf(field);
        return other === undefined ? `${group}.${field}` : this.prefix + other;
      });
      const raw = this.raw(suffix);
      const Kind = error instanceof TypeError ? TypeError : RangeError;
      const message =
        raw === undefined
          ? `${this.prefix}${suffix} must be ${rule}, found ${match[3] ?? '?'} (its default, as it is unset)`
          : this.message(suffix, rule, raw);
      throw new Kind(message, { cause: error });
    }
  }

  private message(suffix: string, expected: string, raw: string): string {
    return `${this.prefix}${suffix} must be ${expected}, found ${JSON.stringify(raw)}`;
  }
}
