import { resolveWatermarks } from '../../lib/levels/watermarks.js';
import { coordinatorOptionsFromEnv } from '../../lib/node/coordinator-options-from-env.js';
import { RetryPolicy } from '../../lib/retry/retry-policy.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';

describe('coordinatorOptionsFromEnv', () => {
  it('returns an empty object when nothing is set', () => {
    expect(coordinatorOptionsFromEnv({})).toEqual({});
    expect(coordinatorOptionsFromEnv({ PATH: '/usr/bin', HOME: '/root' })).toEqual({});
  });

  it('reads every variable', () => {
    const env = {
      BACKPRESSURE_ID: 'orders',
      BACKPRESSURE_CAPACITY: '20000',
      BACKPRESSURE_WORKERS: '8',
      BACKPRESSURE_BATCH_SIZE: '1000',
      BACKPRESSURE_FLUSH_INTERVAL_MS: '100',
      BACKPRESSURE_OVERFLOW: 'drop-oldest',
      BACKPRESSURE_WRITE_TIMEOUT_MS: '5000',
      BACKPRESSURE_SOURCE: 'ingest-1',
      BACKPRESSURE_WATERMARK_SOFT: '0.6',
      BACKPRESSURE_WATERMARK_HARD: '0.9',
      BACKPRESSURE_WATERMARK_SOFT_EXIT: '0.5',
      BACKPRESSURE_WATERMARK_HARD_EXIT: '0.8',
      BACKPRESSURE_WATERMARK_MIN_DWELL_MS: '500',
      BACKPRESSURE_RETRY_MAX_ATTEMPTS: '3',
      BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS: '10',
      BACKPRESSURE_RETRY_MAX_BACKOFF_MS: '500',
      BACKPRESSURE_RETRY_MULTIPLIER: '1.5',
      BACKPRESSURE_RETRY_JITTER: 'false',
      BACKPRESSURE_CIRCUIT_BREAKER: 'true',
      BACKPRESSURE_CIRCUIT_FAILURE_THRESHOLD: '2',
      BACKPRESSURE_CIRCUIT_HALF_OPEN_AFTER_MS: '30000',
    };
    expect(coordinatorOptionsFromEnv(env)).toEqual({
      id: 'orders',
      capacity: 20_000,
      workers: 8,
      batchSize: 1_000,
      flushIntervalMs: 100,
      overflow: 'drop-oldest',
      writeTimeoutMs: 5_000,
      source: 'ingest-1',
      watermarks: { soft: 0.6, hard: 0.9, softExit: 0.5, hardExit: 0.8, minDwellMs: 500 },
      retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 500, multiplier: 1.5, jitter: false },
      circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 30_000 },
    });
  });

  it.each([
    ['ID', 'a', { id: 'a' }],
    ['CAPACITY', '10', { capacity: 10 }],
    ['WORKERS', '1', { workers: 1 }],
    ['BATCH_SIZE', '+50', { batchSize: 50 }],
    ['FLUSH_INTERVAL_MS', '0', { flushIntervalMs: 0 }],
    ['FLUSH_INTERVAL_MS', '12.5', { flushIntervalMs: 12.5 }],
    ['OVERFLOW', 'block', { overflow: 'block' }],
    ['OVERFLOW', 'reject', { overflow: 'reject' }],
    ['OVERFLOW', 'drop-newest', { overflow: 'drop-newest' }],
    ['WRITE_TIMEOUT_MS', '1e3', { writeTimeoutMs: 1_000 }],
    ['SOURCE', 'svc', { source: 'svc' }],
    ['WATERMARK_SOFT', '0.45', { watermarks: { soft: 0.45 } }],
    ['WATERMARK_HARD', '0.95', { watermarks: { hard: 0.95 } }],
    ['WATERMARK_SOFT_EXIT', '0.3', { watermarks: { softExit: 0.3 } }],
    ['WATERMARK_HARD_EXIT', '0.6', { watermarks: { hardExit: 0.6 } }],
    ['WATERMARK_MIN_DWELL_MS', '250', { watermarks: { minDwellMs: 250 } }],
    ['WATERMARK_MIN_DWELL_MS', '0', { watermarks: { minDwellMs: 0 } }],
    ['RETRY_MAX_ATTEMPTS', '1', { retry: { maxAttempts: 1 } }],
    ['RETRY_INITIAL_BACKOFF_MS', '0', { retry: { initialBackoffMs: 0 } }],
    ['RETRY_MAX_BACKOFF_MS', '5000', { retry: { maxBackoffMs: 5_000 } }],
    ['RETRY_MULTIPLIER', '3', { retry: { multiplier: 3 } }],
    ['RETRY_JITTER', 'TRUE', { retry: { jitter: true } }],
    ['RETRY_JITTER', '0', { retry: { jitter: false } }],
    ['CIRCUIT_BREAKER', 'false', { circuitBreaker: false }],
    ['CIRCUIT_BREAKER', 'True', { circuitBreaker: {} }],
    ['CIRCUIT_BREAKER', '1', { circuitBreaker: {} }],
    ['CIRCUIT_FAILURE_THRESHOLD', '3', { circuitBreaker: { failureThreshold: 3 } }],
    ['CIRCUIT_HALF_OPEN_AFTER_MS', '0', { circuitBreaker: { halfOpenAfterMs: 0 } }],
  ])('reads %s=%p alone', (suffix, value, expected) => {
    expect(coordinatorOptionsFromEnv({ [`BACKPRESSURE_${suffix}`]: value })).toEqual(expected);
  });

  it('trims values and treats blank ones as unset', () => {
    expect(
      coordinatorOptionsFromEnv({
        BACKPRESSURE_CAPACITY: ' 42 ',
        BACKPRESSURE_WORKERS: '',
        BACKPRESSURE_ID: '  ',
      }),
    ).toEqual({
      capacity: 42,
    });
  });

  it('ignores the circuit settings when CIRCUIT_BREAKER is false', () => {
    expect(
      coordinatorOptionsFromEnv({
        BACKPRESSURE_CIRCUIT_BREAKER: 'false',
        BACKPRESSURE_CIRCUIT_FAILURE_THRESHOLD: '3',
      }),
    ).toEqual({ circuitBreaker: false });
  });

  it('still validates the circuit settings when CIRCUIT_BREAKER is false', () => {
    expect(() =>
      coordinatorOptionsFromEnv({
        BACKPRESSURE_CIRCUIT_BREAKER: 'false',
        BACKPRESSURE_CIRCUIT_FAILURE_THRESHOLD: 'x',
      }),
    ).toThrow('BACKPRESSURE_CIRCUIT_FAILURE_THRESHOLD must be an integer >= 1, found "x"');
  });

  it('defaults env to process.env', () => {
    process.env['BACKPRESSURE_TEST_ONLY_CAPACITY'] = '77';
    try {
      expect(coordinatorOptionsFromEnv(undefined, { prefix: 'BACKPRESSURE_TEST_ONLY_' })).toEqual({
        capacity: 77,
      });
    } finally {
      delete process.env['BACKPRESSURE_TEST_ONLY_CAPACITY'];
    }
  });

  describe('prefix', () => {
    it('reads variables under another prefix and ignores the default one', () => {
      const env = { ORDERS_CAPACITY: '5', BACKPRESSURE_CAPACITY: '9' };
      expect(coordinatorOptionsFromEnv(env, { prefix: 'ORDERS_' })).toEqual({ capacity: 5 });
    });

    it('accepts an empty prefix', () => {
      expect(coordinatorOptionsFromEnv({ WORKERS: '2' }, { prefix: '' })).toEqual({ workers: 2 });
    });

    it('names the prefixed variable in errors', () => {
      expect(() => coordinatorOptionsFromEnv({ ORDERS_WORKERS: '0' }, { prefix: 'ORDERS_' })).toThrow(
        'ORDERS_WORKERS must be an integer >= 1, found "0"',
      );
    });

    it('rejects a non-string prefix', () => {
      expect(() => coordinatorOptionsFromEnv({}, { prefix: 5 as never })).toThrow(
        'prefix must be a string, found number 5',
      );
    });
  });

  describe('bad values', () => {
    it.each([
      ['CAPACITY', 'ten', TypeError, 'BACKPRESSURE_CAPACITY must be an integer >= 1, found "ten"'],
      ['CAPACITY', '0', RangeError, 'BACKPRESSURE_CAPACITY must be an integer >= 1, found "0"'],
      ['CAPACITY', '1.5', TypeError, 'BACKPRESSURE_CAPACITY must be an integer >= 1, found "1.5"'],
      [
        'CAPACITY',
        '99999999999999999999',
        RangeError,
        'BACKPRESSURE_CAPACITY must be an integer >= 1, found "99999999999999999999"',
      ],
      ['WORKERS', '-2', RangeError, 'BACKPRESSURE_WORKERS must be an integer >= 1, found "-2"'],
      ['BATCH_SIZE', '0x10', TypeError, 'BACKPRESSURE_BATCH_SIZE must be an integer >= 1, found "0x10"'],
      [
        'FLUSH_INTERVAL_MS',
        '-1',
        RangeError,
        'BACKPRESSURE_FLUSH_INTERVAL_MS must be a number within [0, 2147483647], found "-1"',
      ],
      [
        'FLUSH_INTERVAL_MS',
        'soon',
        TypeError,
        'BACKPRESSURE_FLUSH_INTERVAL_MS must be a number within [0, 2147483647], found "soon"',
      ],
      [
        'FLUSH_INTERVAL_MS',
        'Infinity',
        TypeError,
        'BACKPRESSURE_FLUSH_INTERVAL_MS must be a number within [0, 2147483647], found "Infinity"',
      ],
      [
        'FLUSH_INTERVAL_MS',
        '1e999',
        RangeError,
        'BACKPRESSURE_FLUSH_INTERVAL_MS must be a number within [0, 2147483647], found "1e999"',
      ],
      [
        'OVERFLOW',
        'drop',
        RangeError,
        'BACKPRESSURE_OVERFLOW must be one of block, reject, drop-oldest, drop-newest, found "drop"',
      ],
      [
        'OVERFLOW',
        'BLOCK',
        RangeError,
        'BACKPRESSURE_OVERFLOW must be one of block, reject, drop-oldest, drop-newest, found "BLOCK"',
      ],
      [
        'WRITE_TIMEOUT_MS',
        '0',
        RangeError,
        'BACKPRESSURE_WRITE_TIMEOUT_MS must be a number within (0, 2147483647], found "0"',
      ],
      [
        'WRITE_TIMEOUT_MS',
        '30s',
        TypeError,
        'BACKPRESSURE_WRITE_TIMEOUT_MS must be a number within (0, 2147483647], found "30s"',
      ],
      [
        'WATERMARK_SOFT',
        '60%',
        TypeError,
        'BACKPRESSURE_WATERMARK_SOFT must be a number within [0, 1], found "60%"',
      ],
      [
        'WATERMARK_HARD',
        '1.5',
        RangeError,
        'BACKPRESSURE_WATERMARK_HARD must be a number within [0, 1], found "1.5"',
      ],
      [
        'WATERMARK_SOFT_EXIT',
        '-0.1',
        RangeError,
        'BACKPRESSURE_WATERMARK_SOFT_EXIT must be a number within [0, 1], found "-0.1"',
      ],
      [
        'WATERMARK_HARD_EXIT',
        'high',
        TypeError,
        'BACKPRESSURE_WATERMARK_HARD_EXIT must be a number within [0, 1], found "high"',
      ],
      [
        'WATERMARK_MIN_DWELL_MS',
        '1s',
        TypeError,
        'BACKPRESSURE_WATERMARK_MIN_DWELL_MS must be a number within [0, 2147483647], found "1s"',
      ],
      [
        'WATERMARK_MIN_DWELL_MS',
        '-5',
        RangeError,
        'BACKPRESSURE_WATERMARK_MIN_DWELL_MS must be a number within [0, 2147483647], found "-5"',
      ],
      [
        'WATERMARK_MIN_DWELL_MS',
        '2147483648',
        RangeError,
        'BACKPRESSURE_WATERMARK_MIN_DWELL_MS must be a number within [0, 2147483647], found "2147483648"',
      ],
      [
        'RETRY_MAX_ATTEMPTS',
        '0',
        RangeError,
        'BACKPRESSURE_RETRY_MAX_ATTEMPTS must be an integer >= 1, found "0"',
      ],
      [
        'RETRY_MAX_ATTEMPTS',
        'many',
        TypeError,
        'BACKPRESSURE_RETRY_MAX_ATTEMPTS must be an integer >= 1, found "many"',
      ],
      [
        'RETRY_INITIAL_BACKOFF_MS',
        '-5',
        RangeError,
        'BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS must be a number within [0, 2147483647], found "-5"',
      ],
      [
        'RETRY_MAX_BACKOFF_MS',
        'max',
        TypeError,
        'BACKPRESSURE_RETRY_MAX_BACKOFF_MS must be a number within [0, 2147483647], found "max"',
      ],
      [
        'RETRY_MULTIPLIER',
        '0.5',
        RangeError,
        'BACKPRESSURE_RETRY_MULTIPLIER must be a number >= 1, found "0.5"',
      ],
      ['RETRY_JITTER', 'yes', TypeError, 'BACKPRESSURE_RETRY_JITTER must be true or false, found "yes"'],
      [
        'CIRCUIT_BREAKER',
        'off',
        TypeError,
        'BACKPRESSURE_CIRCUIT_BREAKER must be true or false, found "off"',
      ],
      [
        'CIRCUIT_FAILURE_THRESHOLD',
        '0',
        RangeError,
        'BACKPRESSURE_CIRCUIT_FAILURE_THRESHOLD must be an integer >= 1, found "0"',
      ],
      [
        'CIRCUIT_HALF_OPEN_AFTER_MS',
        '-1',
        RangeError,
        'BACKPRESSURE_CIRCUIT_HALF_OPEN_AFTER_MS must be a number within [0, 2147483647], found "-1"',
      ],
      [
        'FLUSH_INTERVAL_MS',
        '2147483648',
        RangeError,
        'BACKPRESSURE_FLUSH_INTERVAL_MS must be a number within [0, 2147483647], found "2147483648"',
      ],
      [
        'RETRY_INITIAL_BACKOFF_MS',
        '2147483648',
        RangeError,
        'BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS must be a number within [0, 2147483647], found "2147483648"',
      ],
      [
        'RETRY_MAX_BACKOFF_MS',
        '2147483648',
        RangeError,
        'BACKPRESSURE_RETRY_MAX_BACKOFF_MS must be a number within [0, 2147483647], found "2147483648"',
      ],
      [
        'CIRCUIT_HALF_OPEN_AFTER_MS',
        '2147483648',
        RangeError,
        'BACKPRESSURE_CIRCUIT_HALF_OPEN_AFTER_MS must be a number within [0, 2147483647], found "2147483648"',
      ],
      [
        'WRITE_TIMEOUT_MS',
        '3e9',
        RangeError,
        'BACKPRESSURE_WRITE_TIMEOUT_MS must be a number within (0, 2147483647], found "3e9"',
      ],
    ])('rejects %s=%p', (suffix, value, Kind, message) => {
      const env = { [`BACKPRESSURE_${suffix}`]: value };
      expect(() => coordinatorOptionsFromEnv(env)).toThrow(Kind);
      expect(() => coordinatorOptionsFromEnv(env)).toThrow(message);
    });

    /** What `check` throws, to compare with the error that names the variables. */
    function thrown(check: () => unknown): Error {
      try {
        check();
      } catch (error) {
        return error as Error;
      }
      throw new Error('expected the check to throw');
    }

    it('checks the watermarks together, naming the variables and keeping the check’s error', () => {
      const error = thrown(() =>
        coordinatorOptionsFromEnv({ BACKPRESSURE_WATERMARK_SOFT: '0.9', BACKPRESSURE_WATERMARK_HARD: '0.8' }),
      );
      const cause = thrown(() => resolveWatermarks({ soft: 0.9, hard: 0.8 }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.cause).toEqual(cause);
      expect(error.message).toBe(
        `BACKPRESSURE_WATERMARK_SOFT="0.9", BACKPRESSURE_WATERMARK_HARD="0.8": ${cause.message} (BACKPRESSURE_WATERMARK_SOFT sets watermarks.soft; BACKPRESSURE_WATERMARK_HARD sets watermarks.hard; the others keep their defaults)`,
      );
      // The check's own words, whatever they are, name the options that the variables set.
      expect(cause.message).toMatch(/watermarks\.soft/);
    });

    it('says which variables are set when the conflicting watermark is a default', () => {
      const error = thrown(() => coordinatorOptionsFromEnv({ BACKPRESSURE_WATERMARK_HARD_EXIT: '0.2' }));
      const cause = thrown(() => resolveWatermarks({ hardExit: 0.2 }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe(
        `BACKPRESSURE_WATERMARK_HARD_EXIT="0.2": ${cause.message} (BACKPRESSURE_WATERMARK_HARD_EXIT sets watermarks.hardExit; the others keep their defaults)`,
      );
    });

    it('checks the backoff bounds together, naming the variables', () => {
      const error = thrown(() =>
        coordinatorOptionsFromEnv({
          BACKPRESSURE_RETRY_MAX_BACKOFF_MS: '10',
          BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS: '100',
        }),
      );
      const cause = thrown(() => new RetryPolicy({ initialBackoffMs: 100, maxBackoffMs: 10 }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.cause).toEqual(cause);
      // Variables in the table's order, whatever the order in the environment.
      expect(error.message).toBe(
        `BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS="100", BACKPRESSURE_RETRY_MAX_BACKOFF_MS="10": ${cause.message} (BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS sets retry.initialBackoffMs; BACKPRESSURE_RETRY_MAX_BACKOFF_MS sets retry.maxBackoffMs; the others keep their defaults)`,
      );
      expect(() => coordinatorOptionsFromEnv({ BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS: '5000' })).toThrow(
        /^BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS="5000": .*retry\.maxBackoffMs.* \(BACKPRESSURE_RETRY_INITIAL_BACKOFF_MS sets retry\.initialBackoffMs; the others keep their defaults\)$/,
      );
    });

    it('rejects an env that is not an object', () => {
      expect(() => coordinatorOptionsFromEnv(null as never)).toThrow(
        'env must be an object of strings, found null',
      );
    });

    it('rejects a variable that is not a string', () => {
      expect(() => coordinatorOptionsFromEnv({ BACKPRESSURE_CAPACITY: 10 } as never)).toThrow(
        'BACKPRESSURE_CAPACITY must be a string, found number 10',
      );
    });
  });

  it('produces options that pass the building blocks’ own validation', () => {
    const options = coordinatorOptionsFromEnv({
      BACKPRESSURE_RETRY_MAX_ATTEMPTS: '2',
      BACKPRESSURE_CIRCUIT_FAILURE_THRESHOLD: '4',
    });
    expect(Object.isFrozen(options.retry)).toBe(true);
    expect(options.retry).toEqual({ maxAttempts: 2 });
    expect(options.circuitBreaker).toEqual({ failureThreshold: 4 });
  });

  it('hands the minimum dwell time to a coordinator, the fractions keeping their defaults', async () => {
    const coordinator = new WriteCoordinator<number>({
      sink: () => undefined,
      bus: null,
      autoStart: false,
      ...coordinatorOptionsFromEnv({ BACKPRESSURE_WATERMARK_MIN_DWELL_MS: '1500' }),
    });
    expect(coordinator.watermarks).toEqual({ ...resolveWatermarks(), minDwellMs: 1_500 });
    await coordinator.stop();
  });
});
