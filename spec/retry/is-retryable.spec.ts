import { defaultIsRetryable } from '../../lib/retry/is-retryable.js';
import { WriteTimeoutError } from '../../lib/errors/write-timeout-error.js';

const withProps = (message: string, props: Record<string, unknown>): Error =>
  Object.assign(new Error(message), props);

describe('defaultIsRetryable', () => {
  describe('keywords in the message', () => {
    it.each([
      ['timeout', 'query timeout expired'],
      ['temporar (temporary)', 'temporary failure in name resolution'],
      ['temporar (temporarily)', 'service temporarily unavailable'],
      ['deadlock', 'deadlock detected'],
      ['retry', 'please retry the transaction'],
      ['busy', 'SQLITE_BUSY: database is busy'],
    ])('is true for %s', (_keyword, message) => {
      expect(defaultIsRetryable(new Error(message))).toBe(true);
    });

    it.each([
      ['TIMEOUT', 'LOCK WAIT TIMEOUT EXCEEDED'],
      ['Temporar', 'Temporarily Unavailable'],
      ['DeadLock', 'DeadLock found when trying to get lock'],
      ['ReTry', 'ReTry later'],
      ['BUSY', 'SERVER BUSY'],
    ])('matches %s case-insensitively', (_keyword, message) => {
      expect(defaultIsRetryable(new Error(message))).toBe(true);
    });
  });

  describe('keywords in the name', () => {
    it.each(['TimeoutError', 'TemporaryError', 'DeadlockError', 'RetryableError', 'BusyError'])(
      'is true for an error named %s with a plain message',
      (name) => {
        const error = new Error('failed');
        error.name = name;
        expect(defaultIsRetryable(error)).toBe(true);
      },
    );

    it('is true for a DOMException TimeoutError (AbortSignal.timeout)', () => {
      expect(defaultIsRetryable(new DOMException('signal timed out', 'TimeoutError'))).toBe(true);
    });
  });

  describe('network codes', () => {
    it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE'])('is true for code %s', (code) => {
      expect(defaultIsRetryable(withProps('socket failed', { code }))).toBe(true);
    });

    it.each(['ENOENT', 'EACCES', 'econnreset', 42])('is false for code %s', (code) => {
      expect(defaultIsRetryable(withProps('socket failed', { code }))).toBe(false);
    });
  });

  describe('the retryable flag', () => {
    it('is true for retryable === true whatever the message', () => {
      expect(defaultIsRetryable(withProps('constraint violated', { retryable: true }))).toBe(true);
    });

    it('retryable === false wins over a keyword', () => {
      expect(defaultIsRetryable(withProps('timeout', { retryable: false }))).toBe(false);
    });

    it('retryable === false wins over a network code', () => {
      expect(defaultIsRetryable(withProps('reset', { code: 'ECONNRESET', retryable: false }))).toBe(false);
    });

    it('ignores a truthy retryable that is not exactly true', () => {
      expect(defaultIsRetryable(withProps('constraint violated', { retryable: 'yes' }))).toBe(false);
      expect(defaultIsRetryable(withProps('busy', { retryable: 0 }))).toBe(true);
    });

    it('reads the flag from plain objects too', () => {
      expect(defaultIsRetryable({ retryable: true })).toBe(true);
      expect(defaultIsRetryable({ message: 'busy', retryable: false })).toBe(false);
      expect(defaultIsRetryable({ message: 'server busy' })).toBe(true);
    });
  });

  describe('causes', () => {
    it('is true for a wrapper whose cause is retryable (fetch failed / ECONNRESET)', () => {
      const error = new TypeError('fetch failed', {
        cause: withProps('read ECONNRESET', { code: 'ECONNRESET' }),
      });
      expect(defaultIsRetryable(error)).toBe(true);
    });

    it('follows up to three levels of causes', () => {
      const deep = (levels: number): unknown => {
        let error: unknown = new Error('deadlock detected');
        for (let i = 0; i < levels; i += 1) error = new Error('wrapped', { cause: error });
        return error;
      };
      expect(defaultIsRetryable(deep(3))).toBe(true);
      expect(defaultIsRetryable(deep(4))).toBe(false);
    });

    it('lets retryable === false on the wrapper win over its cause', () => {
      const error = withProps('wrapped', { retryable: false, cause: new Error('busy') });
      expect(defaultIsRetryable(error)).toBe(false);
    });

    it('is false for a wrapper whose cause is not retryable, and survives cycles', () => {
      expect(defaultIsRetryable(new Error('wrapped', { cause: new Error('bad row') }))).toBe(false);
      const a: Record<string, unknown> = { message: 'a' };
      const b: Record<string, unknown> = { message: 'b', cause: a };
      a['cause'] = b;
      expect(defaultIsRetryable(a)).toBe(false);
    });
  });

  it('is always true for WriteTimeoutError', () => {
    const error = new WriteTimeoutError(30_000);
    expect(defaultIsRetryable(error)).toBe(true);
    expect(error.retryable).toBe(true);
  });

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a constraint violation', new Error('duplicate key value violates unique constraint')],
    ['an error with no message', new Error()],
  ])('is false for %s', (_label, error) => {
    expect(defaultIsRetryable(error)).toBe(false);
  });

  it.each([
    ['a string naming a keyword', 'timeout'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['a symbol', Symbol('busy')],
  ])('is false for a non-error: %s', (_label, value) => {
    expect(defaultIsRetryable(value)).toBe(false);
  });

  it('does not throw for objects with odd name or message types', () => {
    expect(defaultIsRetryable({ name: 42, message: { text: 'busy' } })).toBe(false);
    expect(defaultIsRetryable(Object.create(null))).toBe(false);
  });
});
