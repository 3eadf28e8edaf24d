import {
  BehaviorSubject,
  asyncScheduler,
  distinctUntilChanged,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import { type BackpressureLevel } from '../levels/backpressure-level.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { assertNumber, assertPositiveNumber } from '../internal/validate.js';
import { assertObservable, checkLevel, createLevelTracker } from './level-input.js';
import { TokenBucket } from './token-bucket.js';

/**
 * How a {@link RateController}'s rate scales with the level: the effective rate is
 * `rate * scale[level]`, never below the floor `minRate`.
 *
 * @example
 * ```ts
 * const scale: RateScale = { ok: 1, soft: 0.25, hard: 0 };
 * ```
 */
export interface RateScale {
  /** @default 1 */
  readonly ok?: number;
  /** @default 0.5 */
  readonly soft?: number;
  /** @default 0 (down to the floor, `minRate`) */
  readonly hard?: number;
}

/**
 * The default {@link RateScale}: the Python market-data pipeline's (ok 1.0, soft 0.5, hard 0.0).
 *
 * @example
 * ```ts
 * new RateController({ rate: 100, scale: { ...DEFAULT_RATE_SCALE, soft: 0.25 } });
 * ```
 */
export const DEFAULT_RATE_SCALE: Readonly<Required<RateScale>> = Object.freeze({ ok: 1, soft: 0.5, hard: 0 });

/**
 * Options of {@link RateController}.
 *
 * @example
 * ```ts
 * const options: RateControllerOptions = { rate: 500, burst: 50, scale: { soft: 0.25 }, minRate: 1 };
 * ```
 */
export interface RateControllerOptions {
  /** Values per second at level `ok` (the base rate); a finite number `> 0`. Required. */
  readonly rate: number;
  /**
   * Size of the token bucket: how many values may pass back to back after a quiet spell; a finite
   * number `>= 1`. The bucket starts full.
   * @default 1 (smooth: values are evenly spaced)
   */
  readonly burst?: number;
  /** Multiplier of `rate` per level, each a finite number `>= 0`. @default DEFAULT_RATE_SCALE */
  readonly scale?: RateScale;
  /**
   * Floor of the effective rate in values per second (capped at `rate`), so that a `hard` level
   * slows producers to a trickle rather than a halt, as the Python market-data pipeline does. `0` lets a scale
   * of 0 stop them completely until the level changes.
   * @default 1
   */
  readonly minRate?: number;
  /** The clock of the bucket and the timers of `pace(controller)`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * A token bucket whose rate follows a backpressure level: the producer-side rate limiter of the
 * feedback loop. Feed it levels with {@link RateController.follow} (or {@link RateController.setLevel})
 * and pace streams with `pace(controller)`; several streams paced by one controller share its
 * budget. The effective rate is `max(min(minRate, rate), rate * scale[level])` values per second.
 *
 * It holds no values itself (the `pace` operators buffer them), only a few numbers: its memory is
 * constant.
 *
 * @example
 * ```ts
 * const controller = new RateController({ rate: 1_000, burst: 100 });
 * controller.follow(coordinator.level$);                 // ok 1000/s, soft 500/s, hard 1/s
 * ticks$.pipe(pace(controller), submitTo(coordinator)).subscribe();
 * controller.rate$.subscribe((rate) => console.log('rate now', rate));
 * ```
 */
export class RateController {
  /** The effective rate: its current value on subscribe, then every change. Errors when a followed stream errors. */
  readonly rate$: Observable<number>;
  /** The clock and timers `pace(controller)` uses. */
  readonly scheduler: SchedulerLike;
  /** The size of the bucket. */
  readonly burst: number;

  private base: number;
  private currentLevel: BackpressureLevel = 'ok';
  private readonly scale: Readonly<Required<RateScale>>;
  private readonly minRate: number;
  private readonly bucket: TokenBucket;
  private readonly rateSubject: BehaviorSubject<number>;

  constructor(options: RateControllerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `RateController options must be an object with a rate, found ${describeValue(options)}`,
      );
    }
    const { rate, burst = 1, scale, minRate = 1, scheduler = asyncScheduler } = options;
    this.base = assertPositiveNumber('rate', rate);
    this.burst = assertNumber('burst', burst, 1);
    const { ok = 1, soft = 0.5, hard = 0 } = scale ?? {};
    this.scale = {
      ok: assertNumber('scale.ok', ok, 0),
      soft: assertNumber('scale.soft', soft, 0),
      hard: assertNumber('scale.hard', hard, 0),
    };
    this.minRate = assertNumber('minRate', minRate, 0);
    this.scheduler = scheduler;
    this.bucket = new TokenBucket(this.effectiveRate(), this.burst);
    this.rateSubject = new BehaviorSubject(this.bucket.currentRate);
    this.rate$ = this.rateSubject.pipe(distinctUntilChanged());
  }

  /**
   * The effective rate now, in values per second.
   *
   * @example
   * ```ts
   * const controller = new RateController({ rate: 100 });
   * controller.setLevel('soft');
   * controller.rate; // 50 (the default scale halves it at soft)
   * ```
   */
  get rate(): number {
    return this.bucket.currentRate;
  }

  /**
   * The base rate (at level `ok` with scale 1), as set by the `rate` option or {@link setRate}.
   *
   * @example
   * ```ts
   * const controller = new RateController({ rate: 100 });
   * controller.setLevel('hard');
   * [controller.baseRate, controller.rate]; // [100, 1]: the floor applies at hard
   * ```
   */
  get baseRate(): number {
    return this.base;
  }

  /**
   * The level the rate follows now.
   *
   * @example
   * ```ts
   * controller.follow(coordinator.level$);
   * if (controller.level === 'hard') log.warn('producer slowed to the floor rate');
   * ```
   */
  get level(): BackpressureLevel {
    return this.currentLevel;
  }

  /**
   * Tokens in the bucket now (fractional), on the controller's scheduler clock.
   *
   * @example
   * ```ts
   * const controller = new RateController({ rate: 10, burst: 5 });
   * controller.tokens; // 5: the bucket starts full
   * controller.tryAcquire();
   * controller.tokens; // 4, refilling at 10 a second
   * ```
   */
  get tokens(): number {
    return this.bucket.available(this.scheduler.now());
  }

  /**
   * Sets the level; the effective rate changes at once (tokens earned so far are kept).
   *
   * @throws TypeError for a value that is not a level.
   * @example
   * ```ts
   * bus.subscribe((event) => controller.setLevel(event.level));
   * ```
   */
  setLevel(level: BackpressureLevel): void {
    this.currentLevel = checkLevel('level', level);
    this.update();
  }

  /**
   * Sets the base rate (values per second at `ok`), e.g. from `aimdRate`.
   *
   * @throws RangeError unless `rate` is a finite number `> 0`.
   * @example
   * ```ts
   * aimdRate(coordinator.feedback$).subscribe((rate) => controller.setRate(rate));
   * ```
   */
  setRate(rate: number): void {
    this.base = assertPositiveNumber('rate', rate);
    this.update();
  }

  /**
   * Follows a stream of levels, or of feedback events (the worst latest level across
   * coordinators, as `levelOf(feedback$)`). If the stream errors (or emits something that is not a
   * level or an event), `rate$` errors and so does every `pace(controller)`: the controller is
   * then failed for good. Unsubscribe the returned subscription to stop following.
   *
   * @example
   * ```ts
   * const following = controller.follow(worstLevel(bars.level$, quotes.level$));
   * following.unsubscribe(); // the rate stays at the last level's
   * ```
   */
  follow(levels$: Observable<BackpressureLevel | FeedbackEvent>): Subscription {
    assertObservable('levels$', levels$);
    const toLevel = createLevelTracker();
    return levels$.subscribe({
      next: (input) => {
        let level: BackpressureLevel;
        try {
          level = toLevel(input);
        } catch (error) {
          this.rateSubject.error(error);
          return;
        }
        if (level !== this.currentLevel) this.setLevel(level);
      },
      error: (error: unknown) => this.rateSubject.error(error),
    });
  }

  /**
   * Takes a token if one is available now; for callers that pace themselves (no buffering).
   *
   * @example
   * ```ts
   * if (controller.tryAcquire()) await coordinator.submit(row);
   * else await sleep(controller.msUntilAvailable());
   * ```
   */
  tryAcquire(): boolean {
    return this.bucket.take(this.scheduler.now());
  }

  /**
   * Milliseconds until a token is available (0: now; `Infinity`: the rate is 0). At most
   * 2 147 483 647 (about 24.8 days, the longest `setTimeout` delay): at a rate so small that the
   * wait is longer, it returns that; wait it and ask again.
   *
   * @example
   * ```ts
   * const waitMs = controller.msUntilAvailable(); // e.g. 4 at 250 values a second, just after one
   * ```
   */
  msUntilAvailable(): number {
    const wait = this.bucket.wait(this.scheduler.now());
    return wait === 'pause' ? Number.POSITIVE_INFINITY : wait;
  }

  /** @internal Used by `pace`: whole ms to wait, or `'pause'`. */
  waitAt(now: number): number | 'pause' {
    return this.bucket.wait(now);
  }

  /** @internal Used by `pace`: takes the token `waitAt` promised. */
  takeAt(now: number): void {
    this.bucket.take(now);
  }

  private effectiveRate(): number {
    return Math.max(Math.min(this.minRate, this.base), this.base * this.scale[this.currentLevel]);
  }

  private update(): void {
    this.bucket.setRate(this.effectiveRate(), this.scheduler.now());
    this.rateSubject.next(this.bucket.currentRate); // a no-op once a followed stream errored
  }
}
