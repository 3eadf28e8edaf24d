import { isWriteTimeoutError } from '../errors/write-timeout-error.js';

// Words that, in an error's name or message, mark a condition that may pass: lock timeouts, "temporary
// failure", "temporarily unavailable", deadlocks, "please retry", "database is busy" (SQLite).
const RETRYABLE_WORDS = ['timeout', 'temporar', 'deadlock', 'retry', 'busy'] as const;

/** Node's network error codes for a peer that went away or did not answer. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE']);

/**
 * The coordinator's default retry classifier: tells whether a failed write may succeed if tried again.
 *
 * In order of precedence:
 * 1. `error.retryable === false` → `false` (an explicit "do not retry" always wins);
 * 2. a {@link WriteTimeoutError} or `error.retryable === true` → `true`;
 * 3. `error.code` one of `ECONNRESET`, `ETIMEDOUT`, `ECONNREFUSED`, `EPIPE` → `true`;
 * 4. `error.name` or `error.message` containing, case-insensitively, `timeout`, `temporar`,
 *    `deadlock`, `retry` or `busy` → `true`;
 * 5. otherwise the same rules applied to `error.cause` (up to three levels), so that wrappers such
 *    as Node's `TypeError: fetch failed` with an `ECONNRESET` cause are retried;
 * 6. anything else, including non-objects such as thrown strings → `false`.
 *
 * @example
 * ```ts
 * defaultIsRetryable(new Error('SQLITE_BUSY: database is locked')); // true
 * defaultIsRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' })); // true
 * defaultIsRetryable(new TypeError('cannot read properties of undefined')); // false
 * defaultIsRetryable(Object.assign(new Error('timeout'), { retryable: false })); // false
 * ```
 */
export function defaultIsRetryable(error: unknown): boolean {
  return classify(error, 0);
}

/** How deep `cause` chains are followed; guards against cycles. */
const MAX_CAUSE_DEPTH = 3;

function classify(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { retryable, code, name, message, cause } = error as {
    retryable?: unknown;
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (retryable === false) return false;
  if (retryable === true || isWriteTimeoutError(error)) return true;
  if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
  const text =
    `${typeof name === 'string' ? name : ''}\n${typeof message === 'string' ? message : ''}`.toLowerCase();
  if (RETRYABLE_WORDS.some((word) => text.includes(word))) return true;
  // Wrappers such as Node's `TypeError: fetch failed` carry the network error as their cause.
  return depth < MAX_CAUSE_DEPTH && cause !== error && classify(cause, depth + 1);
}
