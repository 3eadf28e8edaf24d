import { asyncScheduler } from 'rxjs';
import {
  checkSubmitOptions,
  resolveCoordinatorOptions,
  resolveStopOptions,
} from '../../lib/coordinator/resolve-coordinator-options.js';
import { DEFAULT_WATERMARKS } from '../../lib/levels/watermarks.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';

describe('resolveCoordinatorOptions', () => {
  it('applies every default', () => {
    const resolved = resolveCoordinatorOptions<number>({ sink: () => undefined, bus: null });
    expect(resolved).toMatchObject({
      capacity: 10_000,
      workers: 4,
      batchSize: 500,
      flushIntervalMs: 250,
      overflow: 'block',
      writeTimeoutMs: 30_000,
      source: 'coordinator',
      scheduler: asyncScheduler,
      bus: null,
    });
    expect(resolved.watermarks).toMatchObject(DEFAULT_WATERMARKS);
    expect(resolved.deadLetterQueue).toBeInstanceOf(MemoryDeadLetterQueue);
    expect(resolved.breaker).not.toBeNull();
    expect(resolved.retryPolicy.maxAttempts).toBe(5);
  });

  it('caps batchSize at capacity and turns a Sink object into a function', async () => {
    const written: number[][] = [];
    const resolved = resolveCoordinatorOptions<number>({
      sink: { write: (batch) => void written.push([...batch]) },
      capacity: 10,
      batchSize: 50,
      circuitBreaker: false,
      bus: null,
    });
    expect(resolved.batchSize).toBe(10);
    expect(resolved.breaker).toBeNull();
    await resolved.write([1], { signal: new AbortController().signal, attempt: 1 });
    expect(written).toEqual([[1]]);
  });

  it('names the bad option, what was expected and what was found', () => {
    expect(() => resolveCoordinatorOptions({ sink: 3 } as never)).toThrow(
      new TypeError('sink must be a function or an object with a write method, found number 3'),
    );
    expect(() => resolveCoordinatorOptions({ sink: () => undefined, capacity: 0 })).toThrow(RangeError);
  });

  it('checks submit and stop options', () => {
    expect(() => checkSubmitOptions({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => checkSubmitOptions(null as never)).toThrow(TypeError);
    expect(resolveStopOptions({})).toEqual({ drain: true, timeoutMs: 10_000 });
    expect(() => resolveStopOptions({ drain: 'yes' } as never)).toThrow(
      new TypeError('drain must be a boolean, found string "yes"'),
    );
  });
});
