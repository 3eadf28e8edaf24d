import { defaultIsRetryable } from '../../lib/retry/is-retryable.js';
import { WriteTimeoutError } from '../../lib/errors/write-timeout-error.js';
import { QueueFullError } from '../../lib/errors/queue-full-error.js';
import { CoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { QueueTimeoutError } from '../../lib/errors/queue-timeout-error.js';

const withProps = (message: string, props: Record<string, unknown>): Error =>
  Object.assign(new Error(message), props);

describe('defaultIsRetryable', () => {
  describe('retryable unless known to be permanent', () => {
    it.each([
      ["pg's dropped connection", new Error('Connection terminated unexpectedly')],
      ['a refused connection', withProps('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
      ['a Postgres shutdown (SQLSTATE 57P01)', withProps('terminating connection', { code: '57P01' })],
      ['a Postgres serialization failure (40001)', withProps('could not serialize', { code: '40001' })],
      ['SQLITE_BUSY', withProps('database is locked', { code: 'SQLITE_BUSY' })],
      ['a mysql2 lost connection', withProps('Connection lost', { code: 'PROTOCOL_CONNECTION_LOST' })],
      ['an HTTP 500', withProps('Internal Server Error', { status: 500 })],
      ['an HTTP 503 as statusCode', withProps('Service Unavailable', { statusCode: 503 })],
      ['an HTTP 408', withProps('Request Timeout', { status: 408 })],
      ['an HTTP 425', withProps('Too Early', { status: 425 })],
      ['an HTTP 429', withProps('Too Many Requests', { statusCode: 429 })],
      ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
      ['an error with no message', new Error()],
      ['a thrown string', 'socket hang up'],
      ['undefined', undefined],
      ['null', null],
      ['an object with odd field types', { name: 42, message: { text: 'x' }, status: '400', code: 23505 }],
      ['WriteTimeoutError', new WriteTimeoutError(30_000)],
    ])('%s is retryable', (_label, error) => {
      expect(defaultIsRetryable(error)).toBe(true);
    });
  });

  describe('permanent', () => {
    it.each([
      ['retryable: false', withProps('timeout', { retryable: false })],
      ['an HTTP 400', withProps('Bad Request', { status: 400 })],
      ['an HTTP 401 as statusCode', withProps('Unauthorized', { statusCode: 401 })],
      ['an HTTP 404', withProps('Not Found', { status: 404 })],
      ['an HTTP 422', withProps('Unprocessable', { status: 422 })],
      ['a Postgres data exception (22P02)', withProps('invalid input syntax', { code: '22P02' })],
      ['a Postgres unique violation (23505)', withProps('duplicate key value', { code: '23505' })],
      ['a Postgres auth failure (28P01)', withProps('password authentication failed', { code: '28P01' })],
      ['a Postgres undefined table (42P01)', withProps('relation does not exist', { code: '42P01' })],
      [
        'SQLITE_CONSTRAINT_UNIQUE',
        withProps('UNIQUE constraint failed', { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      ],
      ['SQLITE_CONSTRAINT', withProps('constraint failed', { code: 'SQLITE_CONSTRAINT' })],
      ['SQLITE_MISMATCH', withProps('datatype mismatch', { code: 'SQLITE_MISMATCH' })],
      ['SQLITE_TOOBIG', withProps('string or blob too big', { code: 'SQLITE_TOOBIG' })],
      ['ER_DUP_ENTRY', withProps('Duplicate entry', { code: 'ER_DUP_ENTRY' })],
      ['ER_PARSE_ERROR', withProps('You have an error in your SQL syntax', { code: 'ER_PARSE_ERROR' })],
      ['ER_BAD_FIELD_ERROR', withProps("Unknown column 'x'", { code: 'ER_BAD_FIELD_ERROR' })],
      ['ER_NO_SUCH_TABLE', withProps("Table 'x' doesn't exist", { code: 'ER_NO_SUCH_TABLE' })],
      ['QueueFullError', new QueueFullError(1, 1)],
      ['CoordinatorClosedError', new CoordinatorClosedError('db')],
      ['QueueTimeoutError', new QueueTimeoutError(5)],
    ])('%s is not retryable', (_label, error) => {
      expect(defaultIsRetryable(error)).toBe(false);
    });
  });

  describe('precedence', () => {
    it('retryable: true wins over a permanent code or status', () => {
      expect(defaultIsRetryable(withProps('duplicate', { code: '23505', retryable: true }))).toBe(true);
      expect(defaultIsRetryable(withProps('bad', { status: 400, retryable: true }))).toBe(true);
    });

    it('ignores a retryable flag that is not exactly a boolean', () => {
      expect(defaultIsRetryable(withProps('duplicate', { code: '23505', retryable: 'yes' }))).toBe(false);
      expect(defaultIsRetryable(withProps('down', { retryable: 0 }))).toBe(true);
    });

    it('reads plain objects too', () => {
      expect(defaultIsRetryable({ retryable: false })).toBe(false);
      expect(defaultIsRetryable({ statusCode: 403 })).toBe(false);
      expect(defaultIsRetryable({ message: 'anything' })).toBe(true);
    });
  });

  describe('causes', () => {
    it('is not retryable when a wrapped cause is permanent, up to three levels deep', () => {
      const deep = (levels: number): unknown => {
        let error: unknown = withProps('duplicate key', { code: '23505' });
        for (let i = 0; i < levels; i += 1) error = new Error('wrapped', { cause: error });
        return error;
      };
      expect(defaultIsRetryable(deep(1))).toBe(false);
      expect(defaultIsRetryable(deep(3))).toBe(false);
      expect(defaultIsRetryable(deep(4))).toBe(true);
    });

    it('lets the wrapper decide first, and survives cycles', () => {
      const wrapper = withProps('wrapped', { retryable: true, cause: withProps('dup', { code: '23505' }) });
      expect(defaultIsRetryable(wrapper)).toBe(true);
      const a: Record<string, unknown> = { message: 'a' };
      const b: Record<string, unknown> = { message: 'b', cause: a };
      a['cause'] = b;
      expect(defaultIsRetryable(a)).toBe(true);
    });
  });
});
