import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import { DEFAULT_WATERMARKS } from '../../lib/levels/watermarks.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import { RetryPolicy } from '../../lib/retry/retry-policy.js';

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
    ['workers 0', { workers: 0 }, RangeError, 'workers must be an integer >= 1, found 0'],
    ['batchSize -1', { batchSize: -1 }, RangeError, 'batchSize must be an integer >= 1, found -1'],
    [
      'negative flush',
      { flushIntervalMs: -5 },
      RangeError,
      'flushIntervalMs must be a finite number >= 0, found -5',
    ],
    [
      'infinite flush',
      { flushIntervalMs: Infinity },
      RangeError,
      'flushIntervalMs must be a finite number >= 0, found Infinity',
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
      'writeTimeoutMs must be a finite number > 0, found 0',
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
      'scheduler must be an rxjs SchedulerLike, found object',
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

  it('validates submit options at once', () => {
    const coordinator = new WriteCoordinator<number>({ sink, bus: null });
    expect(() => coordinator.submit(1, { timeoutMs: -1 })).toThrow(RangeError);
    expect(() => coordinator.submit(1, { timeoutMs: -1 })).toThrow(
      'timeoutMs must be a finite number >= 0, found -1',
    );
    expect(() => coordinator.submit(1, { signal: 'x' as unknown as AbortSignal })).toThrow(
      'signal must be an AbortSignal, found string "x"',
    );
    expect(coordinator.health().submitted).toBe(0);
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
