import {
  Observable,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
} from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import { Deque } from '../internal/deque.js';
import { assertFunction, assertInteger, assertOneOf, clampDelayMs } from '../internal/validate.js';
import { BufferOverflowError } from '../errors/buffer-overflow-error.js';
import type { Dropped } from '../queue/bounded-queue.js';
import { followControl } from './level-input.js';

/**
 * What a full pacing buffer does when one more value arrives:
 * - `'error'`: the output errors with a `BufferOverflowError` (nothing is lost silently);
 * - `'drop-oldest'`: the oldest buffered value is dropped and reported, the new one is kept;
 * - `'drop-newest'`: the new value is dropped and reported.
 *
 * @example
 * ```ts
 * const overflow: BufferOverflow = 'drop-oldest'; // the latest telemetry matters most
 * ```
 */
export type BufferOverflow = 'error' | 'drop-oldest' | 'drop-newest';

/**
 * All {@link BufferOverflow} strategies, for validation and docs.
 *
 * @example
 * ```ts
 * const overflow = BUFFER_OVERFLOW_STRATEGIES.find((strategy) => strategy === env.OVERFLOW) ?? 'error';
 * ```
 */
export const BUFFER_OVERFLOW_STRATEGIES: readonly BufferOverflow[] = Object.freeze([
  'error',
  'drop-oldest',
  'drop-newest',
]);

/**
 * The bound of a pacing operator's buffer and what happens at it. Shared by `pauseWhile`,
 * `throttleByLevel` and `pace`.
 *
 * @example
 * ```ts
 * const options: PacingBufferOptions<Tick> = {
 *   maxBuffered: 5_000,
 *   overflow: 'drop-oldest',
 *   onDrop: ({ item }) => metrics.increment('ticks_dropped', { symbol: item.symbol }),
 * };
 * ```
 */
export interface PacingBufferOptions<T> {
  /**
   * Most values held back at once; an integer `>= 1`. The arrival of value `maxBuffered + 1`
   * triggers `overflow`. This is what bounds the operator's memory.
   * @default 10_000
   */
  readonly maxBuffered?: number;
  /** What a full buffer does with one more value. @default 'error' */
  readonly overflow?: BufferOverflow;
  /**
   * Called synchronously with every value a drop strategy discards (never under `'error'`). If it
   * throws, the output errors with what it threw. Required with `'drop-oldest'` and
   * `'drop-newest'` (a TypeError at call time without it), so that no value is lost silently.
   * @default none (allowed only with `overflow: 'error'`)
   */
  readonly onDrop?: (dropped: Dropped<T>) => void;
}

/** @internal Validated {@link PacingBufferOptions}. */
export interface ResolvedBufferOptions<T> {
  readonly maxBuffered: number;
  readonly overflow: BufferOverflow;
  /** Always set under a drop strategy. */
  readonly onDrop: ((dropped: Dropped<T>) => void) | undefined;
}

/** @internal Validates buffer options once, when the operator is created. */
export function resolveBufferOptions<T>(
  options: PacingBufferOptions<T> | undefined,
): ResolvedBufferOptions<T> {
  const { maxBuffered = 10_000, overflow = 'error', onDrop } = options ?? {};
  assertInteger('maxBuffered', maxBuffered, 1);
  assertOneOf('overflow', overflow, BUFFER_OVERFLOW_STRATEGIES);
  if (onDrop !== undefined) assertFunction('onDrop', onDrop);
  else if (overflow !== 'error') {
    throw new TypeError(
      `onDrop must be a function when overflow is '${overflow}' (every dropped value is reported to it), found ${describeValue(onDrop)}`,
    );
  }
  return { maxBuffered, overflow, onDrop };
}

/**
 * @internal Decides when the next buffered value may go: `0` now, a number of ms to wait, or
 * `'pause'` (not until the operator calls {@link PacedBuffer.refresh}).
 */
export interface ReleasePolicy {
  wait(now: number): number | 'pause';
  /** Told each time a value is released, at `now`. */
  released(now: number): void;
  /**
   * `false` when the policy never looks at the time (`pauseWhile`): the clock is not read per
   * value, and `now` is 0. @default true
   */
  readonly timed?: boolean;
}

/**
 * @internal The buffer behind every lossless pacing operator: values go out in arrival order, when
 * the policy allows, and the source's completion waits for the buffer to empty.
 *
 * Releasing is re-entrant-safe: a downstream observer may, while receiving a value, change the
 * policy's state (a `submit` that crosses a watermark turns the level `hard`), push new values, or
 * complete the source; the loop re-reads the policy before every value, so it stops at once when
 * told to and never reorders values.
 *
 * A change of the controlling stream ({@link refresh}) never releases values from inside that
 * stream's `next` call: the release is scheduled (delay 0) on the scheduler. Emitters that defer
 * re-entrant emissions to keep their subscribers in order (the coordinator's `level$` does: a
 * `submit` made while it is emitting changes its level only after the emission returns) would
 * otherwise hide the `hard` that must stop the release.
 */
export class PacedBuffer<T> {
  private readonly buffer = new Deque<T>();
  private timer: Subscription | null = null;
  private releasing = false;
  private sourceDone = false;

  constructor(
    private readonly subscriber: Subscriber<T>,
    private readonly policy: ReleasePolicy,
    private readonly options: ResolvedBufferOptions<T>,
    private readonly operator: string,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Values held back now. */
  get size(): number {
    return this.buffer.length;
  }

  /** Accepts a value from the source. */
  next(value: T): void {
    if (this.subscriber.closed) return;
    if (this.buffer.length === 0 && this.timer === null && !this.releasing) {
      // Nothing held back and nothing being released: a value the policy lets go now goes
      // straight through, without a turn through the buffer (the common case while not paced).
      const now = this.now();
      const wait = this.policy.wait(now);
      if (wait === 0) {
        this.policy.released(now);
        this.emit(value);
        return;
      }
      this.buffer.push(value);
      if (wait !== 'pause') this.schedule(wait);
      return;
    }
    if (this.buffer.length >= this.options.maxBuffered && !this.overflow(value)) return;
    this.buffer.push(value);
    // With a timer pending the buffer is waiting already; the new value goes after the others.
    if (this.timer === null) this.release();
  }

  /** The source completed: complete once the buffer is empty. */
  complete(): void {
    this.sourceDone = true;
    if (this.timer === null) this.release();
  }

  /** The policy's state changed: re-time the release, outside the caller's stack. */
  refresh(): void {
    if (this.buffer.length === 0) return;
    this.schedule(0);
  }

  /** Teardown: cancels the timer and lets the buffered values be collected. */
  dispose(): void {
    this.cancelTimer();
    this.buffer.drain();
  }

  /** Returns whether `value` should still be buffered. */
  private overflow(value: T): boolean {
    const { maxBuffered, overflow, onDrop } = this.options;
    if (overflow === 'error') {
      this.subscriber.error(new BufferOverflowError(maxBuffered, maxBuffered + 1, this.operator));
      return false;
    }
    const dropped = overflow === 'drop-oldest' ? (this.buffer.shift() as T) : value;
    try {
      onDrop?.({ item: dropped, reason: 'overflow' });
    } catch (error) {
      this.subscriber.error(error);
      return false;
    }
    return overflow === 'drop-oldest';
  }

  private release(): void {
    if (this.releasing) return; // the outer loop re-reads the policy before each value
    this.releasing = true;
    try {
      while (this.buffer.length > 0 && !this.subscriber.closed) {
        const now = this.now();
        const wait = this.policy.wait(now);
        if (wait === 'pause') break;
        if (wait > 0) {
          this.schedule(wait);
          break;
        }
        this.policy.released(now);
        this.subscriber.next(this.buffer.shift() as T);
      }
    } finally {
      this.releasing = false;
    }
    if (this.sourceDone && this.buffer.length === 0) this.subscriber.complete();
  }

  /**
   * Emits a value that did not wait, as `release` would: values the source pushes from inside the
   * emission wait their turn behind it, and a completion that came meanwhile is honoured after.
   */
  private emit(value: T): void {
    this.releasing = true;
    try {
      this.subscriber.next(value);
    } finally {
      this.releasing = false;
    }
    if (this.timer === null && (this.buffer.length > 0 || this.sourceDone)) this.release();
  }

  private now(): number {
    return this.policy.timed === false ? 0 : this.scheduler.now();
  }

  private schedule(wait: number): void {
    this.cancelTimer();
    if (this.subscriber.closed) return;
    // A longer timer would fire after 1 ms; `release` asks the policy again when this one fires.
    this.timer = this.scheduler.schedule(() => {
      this.timer = null;
      this.release();
    }, clampDelayMs(wait));
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.timer.unsubscribe();
      this.timer = null;
    }
  }
}

/** @internal What one subscription of a {@link pacedOperator} needs: its own state, made fresh. */
export interface PacedSetup<C> {
  readonly policy: ReleasePolicy;
  /**
   * Takes a value of the controlling stream; returns whether the policy changed (the release is
   * then re-timed). Throws to error the output.
   */
  readonly onControl: (value: C) => boolean;
  readonly scheduler: SchedulerLike;
}

/**
 * @internal The wiring shared by `pauseWhile`, `throttleByLevel` and `pace`: per subscription, a
 * {@link PacedBuffer} driven by `setup()`'s policy; the controlling stream subscribed before the
 * source (so a synchronous one holds a synchronous source from its first value); errors of either
 * error the output; the source's completion waits for the buffer.
 */
export function pacedOperator<T, C>(
  operator: string,
  control$: Observable<C>,
  options: ResolvedBufferOptions<T>,
  setup: () => PacedSetup<C>,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const { policy, onControl, scheduler } = setup();
      const buffer = new PacedBuffer<T>(subscriber, policy, options, operator, scheduler);
      subscriber.add(() => buffer.dispose());
      followControl(subscriber, control$, (value) => {
        if (onControl(value)) buffer.refresh();
      });
      if (subscriber.closed) return;
      subscriber.add(
        source.subscribe({
          next: (value) => buffer.next(value),
          error: (error: unknown) => subscriber.error(error),
          complete: () => buffer.complete(),
        }),
      );
    });
}
