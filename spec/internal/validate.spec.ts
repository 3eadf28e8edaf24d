import { Subscription, asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MAX_DELAY_MS, assertDelayMs, assertScheduler, clampDelayMs } from '../../lib/internal/validate.js';

describe('assertDelayMs', () => {
  it('accepts 0 to MAX_DELAY_MS, or (0, MAX_DELAY_MS] when the delay must be positive', () => {
    expect(assertDelayMs('waitMs', 0)).toBe(0);
    expect(assertDelayMs('waitMs', MAX_DELAY_MS)).toBe(MAX_DELAY_MS);
    expect(() => assertDelayMs('waitMs', 0, { positive: true })).toThrow(
      new RangeError('waitMs must be a finite number within (0, 2147483647], found 0'),
    );
  });

  it('says what was expected and what was found', () => {
    expect(() => assertDelayMs('waitMs', '5')).toThrow(
      new TypeError('waitMs must be a number, found string "5"'),
    );
    expect(() => assertDelayMs('waitMs', -1)).toThrow(
      new RangeError('waitMs must be a finite number within [0, 2147483647], found -1'),
    );
    expect(() => assertDelayMs('waitMs', MAX_DELAY_MS + 1)).toThrow(RangeError);
    expect(() => assertDelayMs('waitMs', Number.NaN)).toThrow(RangeError);
  });
});

describe('clampDelayMs', () => {
  it('cuts a computed delay to what a timer can wait', () => {
    expect(clampDelayMs(250)).toBe(250);
    expect(clampDelayMs(2 ** 40)).toBe(MAX_DELAY_MS);
    expect(clampDelayMs(Number.POSITIVE_INFINITY)).toBe(MAX_DELAY_MS);
  });

  it('makes negative and NaN delays 0, so that a bad computation never becomes an odd timer', () => {
    expect(clampDelayMs(-5)).toBe(0);
    expect(clampDelayMs(Number.NaN)).toBe(0);
  });
});

describe('assertScheduler', () => {
  it('accepts rxjs schedulers and anything with schedule and now', () => {
    expect(assertScheduler('scheduler', asyncScheduler)).toBe(asyncScheduler);
    const testScheduler = new TestScheduler(() => undefined);
    expect(assertScheduler('scheduler', testScheduler)).toBe(testScheduler);
    const custom = { now: () => 0, schedule: () => Subscription.EMPTY };
    expect(assertScheduler('scheduler', custom)).toBe(custom);
  });

  it('says what was expected and what was found', () => {
    expect(() => assertScheduler('clock', null)).toThrow(
      new TypeError('clock must be an rxjs SchedulerLike (with schedule and now), found null'),
    );
    expect(() => assertScheduler('clock', { schedule: () => undefined })).toThrow(
      new TypeError('clock must be an rxjs SchedulerLike (with schedule and now), found object'),
    );
    expect(() => assertScheduler('clock', () => 0)).toThrow(TypeError);
  });
});
