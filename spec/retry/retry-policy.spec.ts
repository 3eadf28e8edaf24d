import { RetryPolicy, toRetryPolicy, type RetryPolicyLike } from '../../lib/retry/retry-policy.js';
import { defaultIsRetryable } from '../../lib/retry/is-retryable.js';

/** Returns the given values in turn, then repeats the last. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

describe('RetryPolicy', () => {
  describe('defaults', () => {
    it('has 5 attempts, 50 ms doubling up to 2 s, with jitter', () => {
      const policy = new RetryPolicy();
      expect(policy.maxAttempts).toBe(5);
      expect(policy.initialBackoffMs).toBe(50);
      expect(policy.maxBackoffMs).toBe(2_000);
      expect(policy.multiplier).toBe(2);
      expect(policy.jitter).toBe(true);
    });

    it('classifies with defaultIsRetryable', () => {
      const policy = new RetryPolicy();
      for (const error of [new Error('deadlock'), new Error('bad row'), 'timeout']) {
        expect(policy.isRetryable(error)).toBe(defaultIsRetryable(error));
      }
    });
  });

  describe('backoffMs without jitter', () => {
    it('doubles from initialBackoffMs and caps at maxBackoffMs', () => {
      const policy = new RetryPolicy({ jitter: false });
      expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => policy.backoffMs(n))).toEqual([
        50, 100, 200, 400, 800, 1_600, 2_000, 2_000,
      ]);
    });

    it('follows the multiplier', () => {
      const policy = new RetryPolicy({
        jitter: false,
        initialBackoffMs: 10,
        multiplier: 3,
        maxBackoffMs: 1_000,
      });
      expect([1, 2, 3, 4, 5].map((n) => policy.backoffMs(n))).toEqual([10, 30, 90, 270, 810]);
    });

    it('is constant with multiplier 1', () => {
      const policy = new RetryPolicy({ jitter: false, initialBackoffMs: 75, multiplier: 1 });
      expect([1, 2, 10].map((n) => policy.backoffMs(n))).toEqual([75, 75, 75]);
    });

    it('saturates at the cap for huge attempt numbers', () => {
      const policy = new RetryPolicy({ jitter: false, multiplier: 10 });
      expect(policy.backoffMs(10_000)).toBe(2_000);
    });

    it('is 0 throughout with initialBackoffMs 0', () => {
      const policy = new RetryPolicy({ jitter: false, initialBackoffMs: 0, maxBackoffMs: 0 });
      expect([1, 2, 3].map((n) => policy.backoffMs(n))).toEqual([0, 0, 0]);
    });
  });

  describe('backoffMs with jitter', () => {
    it('scales each base by 0.5 + random * 0.5', () => {
      const policy = new RetryPolicy({ random: sequence(0, 0.5, 0.999, 1 / 3) });
      expect(policy.backoffMs(1)).toBe(25); // 50 * 0.5
      expect(policy.backoffMs(2)).toBe(75); // 100 * 0.75
      expect(policy.backoffMs(3)).toBeCloseTo(200 * (0.5 + 0.999 * 0.5), 10);
      expect(policy.backoffMs(4)).toBeCloseTo(400 * (0.5 + (1 / 3) * 0.5), 10);
    });

    it('jitters the capped value, staying within [cap / 2, cap]', () => {
      const policy = new RetryPolicy({ random: sequence(0, 0.9999) });
      expect(policy.backoffMs(20)).toBe(1_000);
      const high = policy.backoffMs(20);
      expect(high).toBeLessThanOrEqual(2_000);
      expect(high).toBeGreaterThan(1_999);
    });

    it('stays within [base / 2, base] with Math.random', () => {
      const policy = new RetryPolicy();
      for (let i = 0; i < 200; i += 1) {
        const delay = policy.backoffMs(3);
        expect(delay).toBeGreaterThanOrEqual(100);
        expect(delay).toBeLessThanOrEqual(200);
      }
    });

    it('clamps a random source that strays outside [0, 1]', () => {
      const policy = new RetryPolicy({ random: sequence(-5, 7, Number.NaN) });
      expect(policy.backoffMs(1)).toBe(25);
      expect(policy.backoffMs(1)).toBe(50);
      expect(policy.backoffMs(1)).toBe(25);
    });
  });

  it('uses a custom classifier', () => {
    const policy = new RetryPolicy({ isRetryable: (e) => e === 'again' });
    expect(policy.isRetryable('again')).toBe(true);
    expect(policy.isRetryable(new Error('timeout'))).toBe(false);
  });

  it('keeps working when its methods are detached', () => {
    const { isRetryable, backoffMs } = new RetryPolicy({ jitter: false });
    expect(isRetryable(new Error('busy'))).toBe(true);
    expect(backoffMs(2)).toBe(100);
  });

  describe('option validation', () => {
    it.each([
      [{ maxAttempts: 0 }, RangeError, 'retry.maxAttempts must be an integer >= 1, found 0'],
      [{ maxAttempts: 2.5 }, RangeError, 'retry.maxAttempts must be an integer >= 1, found 2.5'],
      [{ maxAttempts: '3' }, TypeError, 'retry.maxAttempts must be an integer, found string "3"'],
      [
        { initialBackoffMs: -1 },
        RangeError,
        'retry.initialBackoffMs must be a finite number within [0, 2147483647], found -1',
      ],
      [
        { initialBackoffMs: Number.NaN },
        RangeError,
        'retry.initialBackoffMs must be a finite number within [0, 2147483647], found NaN',
      ],
      [
        { maxBackoffMs: 10 },
        RangeError,
        'retry.maxBackoffMs must be a finite number >= retry.initialBackoffMs (50), found 10',
      ],
      [
        { maxBackoffMs: Infinity },
        RangeError,
        'retry.maxBackoffMs must be a finite number within [0, 2147483647], found Infinity',
      ],
      [
        // setTimeout fires after 1 ms beyond 2^31 - 1: every retry would come at once.
        { maxBackoffMs: 2_147_483_648 },
        RangeError,
        'retry.maxBackoffMs must be a finite number within [0, 2147483647], found 2147483648',
      ],
      [
        { initialBackoffMs: 3e9, maxBackoffMs: 3e9 },
        RangeError,
        'retry.initialBackoffMs must be a finite number within [0, 2147483647], found 3000000000',
      ],
      [{ multiplier: 0.5 }, RangeError, 'retry.multiplier must be a finite number >= 1, found 0.5'],
      [{ jitter: 'yes' }, TypeError, 'retry.jitter must be a boolean, found string "yes"'],
      [{ isRetryable: true }, TypeError, 'retry.isRetryable must be a function, found boolean true'],
      [{ random: 4 }, TypeError, 'retry.random must be a function, found number 4'],
    ])('rejects %p', (options, Kind, message) => {
      expect(() => new RetryPolicy(options as never)).toThrow(Kind);
      expect(() => new RetryPolicy(options as never)).toThrow(message);
    });

    it('accepts backoffs up to 2^31 - 1 ms', () => {
      const policy = new RetryPolicy({ jitter: false, initialBackoffMs: 1_000, maxBackoffMs: 2_147_483_647 });
      expect(policy.backoffMs(100)).toBe(2_147_483_647);
    });

    it('rejects a non-object', () => {
      expect(() => new RetryPolicy(null as never)).toThrow(TypeError);
      expect(() => new RetryPolicy(null as never)).toThrow('found null');
    });
  });
});

describe('toRetryPolicy', () => {
  it('builds the default policy from undefined', () => {
    const policy = toRetryPolicy(undefined);
    expect(policy).toBeInstanceOf(RetryPolicy);
    expect(policy.maxAttempts).toBe(5);
  });

  it('builds a policy from options', () => {
    const policy = toRetryPolicy({ maxAttempts: 2, jitter: false, initialBackoffMs: 10 });
    expect(policy).toBeInstanceOf(RetryPolicy);
    expect(policy.maxAttempts).toBe(2);
    expect(policy.backoffMs(2)).toBe(20);
  });

  it('returns a RetryPolicy as is', () => {
    const policy = new RetryPolicy({ maxAttempts: 3 });
    expect(toRetryPolicy(policy)).toBe(policy);
  });

  it('takes an object with a backoffMs function as a policy, unchanged', () => {
    const custom: RetryPolicyLike = { maxAttempts: 3, isRetryable: () => true, backoffMs: (n) => n * 7 };
    const policy = toRetryPolicy(custom);
    expect(policy).toBe(custom);
    expect(policy.backoffMs(3)).toBe(21);
  });

  it('validates a policy object', () => {
    const bad = { maxAttempts: 0, isRetryable: () => true, backoffMs: () => 1 };
    expect(() => toRetryPolicy(bad)).toThrow('retry.maxAttempts must be an integer >= 1, found 0');
    const noClassifier = { maxAttempts: 2, backoffMs: () => 1 } as unknown as RetryPolicyLike;
    expect(() => toRetryPolicy(noClassifier)).toThrow(
      'retry.isRetryable must be a function, found undefined',
    );
  });

  it('validates options', () => {
    expect(() => toRetryPolicy({ multiplier: 0 })).toThrow(RangeError);
  });

  it.each([
    [null, 'found null'],
    ['fast', 'found string "fast"'],
    [3, 'found number 3'],
  ])('rejects %p with a TypeError', (value, found) => {
    expect(() => toRetryPolicy(value as never)).toThrow(TypeError);
    expect(() => toRetryPolicy(value as never)).toThrow(found);
  });
});
