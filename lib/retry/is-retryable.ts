import { isBackpressureError } from '../errors/backpressure-error.js';
import { isWriteTimeoutError } from '../errors/write-timeout-error.js';

/** HTTP 4xx statuses that say "try again later" rather than "this request is wrong". */
const RETRYABLE_4XX: ReadonlySet<number> = new Set([408, 425, 429]);

/**
 * Postgres SQLSTATE classes of errors that a retry cannot fix: 22 data exception, 23 integrity
 * constraint violation, 28 invalid authorization, 42 syntax error or access rule violation.
 */
const PERMANENT_SQLSTATE_CLASSES: ReadonlySet<string> = new Set(['22', '23', '28', '42']);

/** better-sqlite3 codes for a batch the database will refuse however often it is tried. */
const PERMANENT_SQLITE_CODES: ReadonlySet<string> = new Set(['SQLITE_MISMATCH', 'SQLITE_TOOBIG']);

/** mysql2 codes for a batch or statement that is wrong, not a database that is down. */
const PERMANENT_MYSQL_CODES: ReadonlySet<string> = new Set([
  'ER_DUP_ENTRY',
  'ER_PARSE_ERROR',
  'ER_BAD_FIELD_ERROR',
  'ER_NO_SUCH_TABLE',
]);

/** How deep `cause` chains are followed; guards against cycles. */
const MAX_CAUSE_DEPTH = 3;

/**
 * The coordinator's default retry classifier: tells whether a failed write may succeed if tried
 * again. An error is retryable unless it is known to be permanent, so that an outage the classifier
 * has never heard of (a dropped connection, a failover, a driver's own wording) is retried and
 * opens the circuit breaker instead of dead-lettering the data at once.
 *
 * In order of precedence:
 * 1. `error.retryable === true` → `true`; `error.retryable === false` → `false`;
 * 2. a {@link WriteTimeoutError} → `true`; any other `BackpressureError` of this library → `false`;
 * 3. `error.status` or `error.statusCode` an HTTP 4xx other than 408, 425, 429 → `false`;
 * 4. `error.code` a Postgres SQLSTATE of class 22, 23, 28 or 42; a better-sqlite3
 *    `SQLITE_CONSTRAINT*`, `SQLITE_MISMATCH` or `SQLITE_TOOBIG`; a mysql2 `ER_DUP_ENTRY`,
 *    `ER_PARSE_ERROR`, `ER_BAD_FIELD_ERROR` or `ER_NO_SUCH_TABLE` → `false`;
 * 5. otherwise the same rules applied to `error.cause` (up to three levels), so that a wrapper
 *    around a constraint violation is not retried;
 * 6. anything else, including non-objects such as thrown strings → `true`.
 *
 * @example
 * ```ts
 * defaultIsRetryable(new Error('Connection terminated unexpectedly')); // true
 * defaultIsRetryable(Object.assign(new Error('duplicate key'), { code: '23505' })); // false
 * defaultIsRetryable(Object.assign(new Error('Bad Request'), { status: 400 })); // false
 * defaultIsRetryable(Object.assign(new Error('Too Many Requests'), { status: 429 })); // true
 * defaultIsRetryable(Object.assign(new Error('duplicate key'), { code: '23505', retryable: true })); // true
 * ```
 */
export function defaultIsRetryable(error: unknown): boolean {
  return !isPermanent(error, 0);
}

function isPermanent(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { retryable, status, statusCode, code, cause } = error as {
    retryable?: unknown;
    status?: unknown;
    statusCode?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  if (retryable === true) return false;
  if (retryable === false) return true;
  if (isWriteTimeoutError(error)) return false;
  if (isBackpressureError(error)) return true;
  if (isPermanentStatus(status) || isPermanentStatus(statusCode)) return true;
  if (typeof code === 'string' && isPermanentCode(code)) return true;
  return depth < MAX_CAUSE_DEPTH && cause !== error && isPermanent(cause, depth + 1);
}

function isPermanentStatus(status: unknown): boolean {
  return (
    typeof status === 'number' &&
    Number.isInteger(status) &&
    status >= 400 &&
    status <= 499 &&
    !RETRYABLE_4XX.has(status)
  );
}

function isPermanentCode(code: string): boolean {
  if (/^[0-9A-Z]{5}$/.test(code) && /^[0-9]{2}/.test(code)) {
    return PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) return true;
  return PERMANENT_SQLITE_CODES.has(code) || PERMANENT_MYSQL_CODES.has(code);
}
