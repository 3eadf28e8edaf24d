import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import { DEFAULT_WATERMARKS } from '../../lib/levels/watermarks.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import { RetryPolicy } from '../../lib/retry/retry-policy.js';
import { MAX_DELAY_MS } from '../../lib/internal/validate.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { spyScheduler } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

const sink = () => undefined;
const build = (options: Partial<Record<keyof WriteCoordinatorOptions<number>, unknown>>) => () =>
  new WriteCoordinator<number>({ sink, bus: null, ...options } as WriteCoordinatorOptions<number>);

describe('WriteCoordinator options', () => {
  it('has the documented defaults', async () => {
    const coordinator = new WriteCoordinator<number>({ sink, bus: null });
    expect(coordinator).toMatchObject({
      id: 'default',
      capacity: 10_000,
      workers: 4,
      batchSize: 500,
      flushIntervalMs: 250,
      overflow: 'block',
      watermarks: DEFAULT_WATERMARKS,
      writeTimeoutMs: 30_000,
      source: 'coordinator',
    });
    expect(coordinator.retryPolicy).toBeInstanceOf(RetryPolicy);
    expect(coordinator.retryPolicy).toMatchObject({
      maxAttempts: 5,
      initialBackoffMs: 50,
      maxBackoffMs: 2_000,
      multiplier: 2,
      jitter: true,
    });
    expect(coordinator.deadLetterQueue).toBeInstanceOf(MemoryDeadLetterQueue);
    expect(coordinator.health()).toMatchObject({ state: 'idle', circuitState: 'closed', level: 'ok' });
    await coordinator.stop();
  });

  it.each<
    [string, Partial<Record<keyof WriteCoordinatorOptions<number>, unknown>>, ErrorConstructor, string]
  >([
    [
      'sink missing',
      { sink: undefined },
      TypeError,
      'sink must be a function or an object with a write method, found undefined',
    ],
    [
      'sink without write',
      { sink: { put: 1 } },
      TypeError,
      'sink must be a function or an object with a write method, found object',
    ],
    ['empty id', { id: '' }, TypeError, 'id must be a non-empty string, found string ""'],
    ['capacity 0', { capacity: 0 }, RangeError, 'capacity must be an integer >= 1, found 0'],
    ['fractional capacity', { capacity: 2.5 }, RangeError, 'capacity must be an integer >= 1, found 2.5'],
    ['capacity as string', { capacity: '10' }, TypeError, 'capacity must be an integer, found string "10"'],
    ['workers 0', { workers: 0 }, RangeError, 'workers must be an integer within [1, 1024], found 0'],
    ['batchSize -1', { batchSize: -1 }, RangeError, 'batchSize must be an integer >= 1, found -1'],
    [
      'negative flush',
      { flushIntervalMs: -5 },
      RangeError,
      'flushIntervalMs must be a finite number within [0, 2147483647], found -5',
    ],
    [
      'infinite flush',
      { flushIntervalMs: Infinity },
      RangeError,
      'flushIntervalMs must be a finite number within [0, 2147483647], found Infinity',
    ],
    [
      'flush above the longest timer delay',
      { flushIntervalMs: 2 ** 31 },
      RangeError,
      'flushIntervalMs must be a finite number within [0, 2147483647], found 2147483648',
    ],
    [
      'writeTimeoutMs above the longest timer delay',
      { writeTimeoutMs: 2 ** 31 },
      RangeError,
      'writeTimeoutMs must be a finite number within (0, 2147483647], found 2147483648',
    ],
    [
      'halfOpenAfterMs above the longest timer delay',
      { circuitBreaker: { halfOpenAfterMs: 2 ** 31 } },
      RangeError,
      'circuitBreaker.halfOpenAfterMs must be a finite number within [0, 2147483647], found 2147483648',
    ],
    [
      'unknown overflow',
      { overflow: 'spill' },
      RangeError,
      "overflow must be one of 'block', 'reject', 'drop-oldest', 'drop-newest', found string \"spill\"",
    ],
    [
      'bad watermarks',
      { watermarks: { soft: 0.9 } },
      RangeError,
      'watermarks.soft must be below watermarks.hard (0.8), found 0.9',
    ],
    [
      'writeTimeoutMs 0',
      { writeTimeoutMs: 0 },
      RangeError,
      'writeTimeoutMs must be a finite number within (0, 2147483647], found 0',
    ],
    [
      'bad retry',
      { retry: { maxAttempts: 0 } },
      RangeError,
      'retry.maxAttempts must be an integer >= 1, found 0',
    ],
    ['retry not an object', { retry: 3 }, TypeError, 'retry must be an options object'],
    [
      'breaker true',
      { circuitBreaker: true },
      TypeError,
      'circuitBreaker must be an options object or false, found boolean true',
    ],
    [
      'bad breaker',
      { circuitBreaker: { failureThreshold: 0 } },
      RangeError,
      'circuitBreaker.failureThreshold must be an integer >= 1, found 0',
    ],
    [
      'deadLetter without put',
      { deadLetter: {} },
      TypeError,
      'deadLetter must be an object with a put method, found object',
    ],
    [
      'bus not a bus',
      { bus: 'default' },
      TypeError,
      'bus must be a FeedbackBus or null, found string "default"',
    ],
    ['source not a string', { source: 42 }, TypeError, 'source must be a string, found number 42'],
    [
      'scheduler not a scheduler',
      { scheduler: {} },
      TypeError,
      'scheduler must be an rxjs SchedulerLike (with schedule and now), found object',
    ],
  ])('rejects %s', (_name, options, type, message) => {
    expect(build(options)).toThrow(type);
    expect(build(options)).toThrow(message);
  });

  it('rejects options that are not an object', () => {
    expect(() => new WriteCoordinator<number>(null as unknown as WriteCoordinatorOptions<number>)).toThrow(
      'WriteCoordinator options must be an object with a sink, found null',
    );
  });

  it('rejects (never throws) for bad submit and stop options', async () => {
    const coordinator = new WriteCoordinator<number>({ sink, bus: null });
    let pending: Promise<void> | undefined;
    expect(() => (pending = coordinator.submit(1, { timeoutMs: -1 }))).not.toThrow();
    await expect(pending).rejects.toThrow(
      new RangeError('timeoutMs must be a finite number within [0, 2147483647], found -1'),
    );
    await expect(coordinator.submit(1, { timeoutMs: 2 ** 31 })).rejects.toThrow(
      'timeoutMs must be a finite number within [0, 2147483647], found 2147483648',
    );
    await expect(coordinator.submitMany([1], { timeoutMs: 2 ** 31 })).rejects.toThrow(RangeError);
    await expect(coordinator.submit(1, { signal: 'x' as unknown as AbortSignal })).rejects.toThrow(
      new TypeError('signal must be an AbortSignal, found string "x"'),
    );
    let stopping: Promise<unknown> | undefined;
    expect(() => (stopping = coordinator.stop({ timeoutMs: -5 }))).not.toThrow();
    await expect(stopping).rejects.toThrow(RangeError);
    expect(coordinator.health().submitted).toBe(0);
  });

  it('bounds workers from 1 to min(capacity, 1024), and caps the default at capacity', () => {
    expect(build({ workers: 1_000_000 })).toThrow(
      new RangeError('workers must be an integer within [1, 1024], found 1000000'),
    );
    expect(build({ capacity: 3, workers: 4 })).toThrow(
      new RangeError('workers must be an integer within [1, 3], found 4'),
    );
    expect(build({ capacity: 2 })().workers).toBe(2);
    expect(build({ workers: 1024 })().workers).toBe(1024);
  });

  describe('adaptive workers { min, max, initial? }', () => {
    it.each<[string, unknown, ErrorConstructor, string]>([
      [
        'workers as a string',
        '4',
        TypeError,
        'workers must be an integer or an object { min, max, initial? }, found string "4"',
      ],
      ['min missing', { max: 8 }, TypeError, 'workers.min must be an integer, found undefined'],
      ['min 0', { min: 0, max: 8 }, RangeError, 'workers.min must be an integer within [1, 1024], found 0'],
      [
        'fractional min',
        { min: 1.5, max: 8 },
        RangeError,
        'workers.min must be an integer within [1, 1024], found 1.5',
      ],
      ['max missing', { min: 2 }, TypeError, 'workers.max must be an integer, found undefined'],
      [
        'max below min',
        { min: 4, max: 3 },
        RangeError,
        'workers.max must be an integer within [4, 1024], found 3',
      ],
      [
        'max above 1024',
        { min: 1, max: 2048 },
        RangeError,
        'workers.max must be an integer within [1, 1024], found 2048',
      ],
      [
        'initial below min',
        { min: 2, max: 8, initial: 1 },
        RangeError,
        'workers.initial must be an integer within [2, 8], found 1',
      ],
      [
        'initial above max',
        { min: 2, max: 8, initial: 9 },
        RangeError,
        'workers.initial must be an integer within [2, 8], found 9',
      ],
      [
        'initial as a string',
        { min: 2, max: 8, initial: '4' },
        TypeError,
        'workers.initial must be an integer, found string "4"',
      ],
    ])('%s', (_, workers, type, message) => {
      expect(build({ workers })).toThrow(new type(message));
    });

    it('caps max at capacity', () => {
      expect(build({ capacity: 3, workers: { min: 1, max: 4 } })).toThrow(
        new RangeError('workers.max must be an integer within [1, 3], found 4'),
      );
    });

    it('runs max workers, starts the limit at min, and defaults initial to min', () => {
      const coordinator = build({ workers: { min: 2, max: 16 } })();
      expect(coordinator.workers).toBe(16);
      expect(coordinator.health()).toMatchObject({ workers: 16, concurrencyLimit: 2 });
    });

    it('keeps a plain number a fixed worker count, reported as the limit', () => {
      expect(build({ workers: 6 })().health()).toMatchObject({ workers: 6, concurrencyLimit: 6 });
    });
  });

  it('rejects submitMany of something not iterable', async () => {
    const coordinator = new WriteCoordinator<number>({ sink, bus: null });
    await expect(coordinator.submitMany(undefined as unknown as number[])).rejects.toThrow(
      'items must be iterable, found undefined',
    );
    await expect(coordinator.submitMany(5 as unknown as number[])).rejects.toThrow(
      'items must be iterable, found number 5',
    );
  });
});

describe('WriteCoordinator delays up to MAX_DELAY_MS', () => {
  let clock: VirtualClock;
  const live: WriteCoordinator<number>[] = [];
  beforeEach(() => {
    clock = new VirtualClock();
  });
  afterEach(async () => {
    await clock.run(Promise.all(live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
  });
  function make(options: Omit<WriteCoordinatorOptions<number>, 'bus'>): WriteCoordinator<number> {
    const coordinator = new WriteCoordinator<number>({ bus: null, ...options });
    live.push(coordinator);
    return coordinator;
  }

  it('accepts MAX_DELAY_MS for every delay and hands the timers exactly that', async () => {
    expect(MAX_DELAY_MS).toBe(2 ** 31 - 1);
    const { scheduler, delays } = spyScheduler(clock);
    const coordinator = make({
      sink: () => clock.sleep(60),
      flushIntervalMs: MAX_DELAY_MS,
      writeTimeoutMs: MAX_DELAY_MS,
      circuitBreaker: { halfOpenAfterMs: MAX_DELAY_MS },
      capacity: 1,
      scheduler,
    });
    coordinator.start();
    await coordinator.submit(1);
    const waiting = coordinator.submit(2, { timeoutMs: MAX_DELAY_MS }).catch((e: unknown) => e);
    await clock.advance(30);
    expect(coordinator.health()).toMatchObject({ written: 0, rejected: 0, inFlight: 1 });
    const report = await clock.run(coordinator.stop({ timeoutMs: MAX_DELAY_MS }));
    // The write was neither aborted by its timeout nor given up on by stop.
    expect(report).toMatchObject({ drained: true, written: 1 });
    expect(coordinator.health()).toMatchObject({ writeErrors: 0, rejected: 1 });
    expect(isCoordinatorClosedError(await waiting)).toBe(true);
    expect(delays.filter((ms) => ms === MAX_DELAY_MS).length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...delays)).toBe(MAX_DELAY_MS);
  });

  it('caps the backoff of a custom policy at MAX_DELAY_MS instead of retrying at once', async () => {
    const { scheduler, delays } = spyScheduler(clock);
    let calls = 0;
    const coordinator = make({
      sink: () => {
        calls++;
        throw new Error('busy');
      },
      flushIntervalMs: 0,
      circuitBreaker: false,
      retry: { maxAttempts: 10, isRetryable: () => true, backoffMs: () => 2 ** 40 },
      scheduler,
    });
    coordinator.start();
    await coordinator.submit(1);
    await clock.advance(60);
    expect(calls).toBe(1);
    expect(delays).toContain(MAX_DELAY_MS);
    expect(Math.max(...delays)).toBe(MAX_DELAY_MS);
  });
});
