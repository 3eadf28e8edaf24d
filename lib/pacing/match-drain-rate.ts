import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { describeValue } from '../internal/describe-value.js';
import { assertDelayMs, assertNumber, assertPositiveNumber } from '../internal/validate.js';
import { resolveWatermarks, type Watermarks } from '../levels/watermarks.js';
import { assertObservable, checkLevel, followControl } from './level-input.js';

/**
 * What {@link matchDrainRate} follows: a store's measured drain rate and its level, and, when
 * known, its depth and capacity. A `WriteCoordinator` has them all; any object with these streams
 * works (a remote store's figures received over a transport, say).
 *
 * @example
 * ```ts
 * const source: DrainRateSource = { drainRate$: coordinator.drainRate$, level$: coordinator.level$ };
 * const rate$ = matchDrainRate(source);
 * ```
 */
export interface DrainRateSource {
  /** Items the store writes per second, smoothed; see `WriteCoordinator.drainRate$`. */
  readonly drainRate$: Observable<number>;
  /** The store's backpressure level. */
  readonly level$: Observable<BackpressureLevel>;
  /** Items the store holds; with `capacity`, lets the rate steer the queue to a target depth. */
  readonly depth$?: Observable<number>;
  /** The depth that means 100 % utilisation; needed with `depth$`. */
  readonly capacity?: number;
  /** The store's watermarks, for the default target depth. @default DEFAULT_WATERMARKS */
  readonly watermarks?: Watermarks;
}

/**
 * Options of {@link matchDrainRate}. Rates are in items per second.
 *
 * @example
 * ```ts
 * const options: MatchDrainRateOptions = { initial: 1_000, headroom: 0.05, probeEveryMs: 250 };
 * ```
 */
export interface MatchDrainRateOptions {
  /** Rate emitted on subscribe, before any drain rate is known; within `[min, max]`. @default 100 */
  readonly initial?: number;
  /** Floor of the rate; a finite number `>= 0`. @default 1 (the floor `RateController` uses) */
  readonly min?: number;
  /** Ceiling of the rate; a finite number `>= min`. @default Number.MAX_SAFE_INTEGER (none) */
  readonly max?: number;
  /**
   * Without a depth to steer by: while `'ok'` the rate is at least the drain rate times
   * `1 + headroom`, so the queue fills towards `'soft'` and the store never waits for the producer;
   * a finite number `>= 0`.
   * @default 0.05
   */
  readonly headroom?: number;
  /**
   * With a depth: the depth to hold, as a fraction of capacity, within (0, 1).
   * @default halfway between the `soft` and `hardExit` watermarks (0.6 with the defaults)
   */
  readonly target?: number;
  /**
   * With a depth: how fast a gap to the target depth is closed, in ms; the rate is the drain rate
   * plus `gap / settleMs` (a proportional controller with this time constant). A number of ms `> 0`,
   * at most 2 147 483 647.
   * @default 100
   */
  readonly settleMs?: number;
  /**
   * How often the rate probes upward while `'ok'`, in ms: a producer held back by its own rate
   * (the queue nearly empty, the store idle part of the time) cannot see how fast the store could
   * go; each probe multiplies the rate by `probeGain`, until the queue reaches `'soft'`. A number
   * of ms `> 0`, at most 2 147 483 647.
   * @default 250
   */
  readonly probeEveryMs?: number;
  /** The factor of each upward probe; a finite number `> 1`. @default 1.25 (BBR's probing gain) */
  readonly probeGain?: number;
  /**
   * While `'hard'`, the rate is cut to the drain rate times `backoff` on entry and again at every
   * drain-rate sample; within (0, 1).
   * @default 0.5 (TCP's halving)
   */
  readonly backoff?: number;
}

/**
 * A rate for `pace(rate$)` that matches the producer to what the store drains, so the store stays
 * busy and the level stays calm. It follows the store's smoothed drain rate the way TCP BBR follows
 * its measured delivery rate and Flink's buffer debloating its measured throughput, instead of
 * reacting to level changes alone as AIMD does.
 *
 * The control law, with `d` the latest drain rate (items written per second, smoothed), `q` the
 * depth and `r` the rate emitted, applied at every drain-rate sample, depth and level change:
 *
 * - Steering term `s`. With a depth: `s = (target * capacity - q) / settleMs` (items per second,
 *   negative above the target), so the queue settles at the target depth, inside the `'soft'`
 *   band and away from both of its edges: the store always has a backlog to write and the level
 *   does not flip. Without one: `s = d * headroom` while `'ok'`, 0 otherwise.
 * - `'ok'`: `r = max(r, d + s)`, and every `probeEveryMs` `r = r * probeGain`. The rate does not
 *   fall while the store asks for nothing; it climbs geometrically (x 1.25 every 250 ms by default,
 *   about x 2.4 a second) until the queue reaches `'soft'`: that is how it finds a faster store,
 *   and how it starts.
 * - `'soft'` (a backlog, so the store writes as fast as it can and `d` is its speed): `r = d + s`.
 * - `'hard'`: `r = min(r, d) * backoff` on entry, and again at every drain-rate sample while
 *   `'hard'`, so a store that slowed down sheds the excess before the queue is full.
 * - Always within `[min, max]`; emits `initial` on subscribe, then every change of the rate.
 *
 * Defaults and their sources: `probeGain` 1.25 is BBR's ProbeBW pacing gain (IETF draft "BBR
 * Congestion Control"); `backoff` 0.5 is TCP Reno's halving (RFC 5681); `settleMs` 100 is one drain-rate
 * sample: the depth correction must act well inside the estimate's 1 s smoothing window, since a
 * drain rate that is off by `e` items per second leaves the depth off target by `e * settleMs`
 * (a proportional controller's offset; measured in the closed-loop benchmark, 500 ms left the
 * queue below `'soft'` and flapping at its edge, 100 ms holds it inside the band); the target halfway between `soft` and `hardExit` leaves the same room to either edge of
 * the band; `headroom` 0.05 fills a queue at 5 % of the store's rate when there is no depth to
 * steer by; `probeEveryMs` 250 is two and a half of the coordinator's 100 ms drain-rate samples,
 * so a probe's effect is measured before the next; `min` 1 is `RateController`'s floor.
 *
 * Errors with any input, and with a `TypeError` / `RangeError` for a level that is not one or a
 * drain rate or depth that is not a finite number `>= 0`; completing inputs keep their last value.
 * Holds no values: constant memory. The probe runs on `scheduler` while `'ok'` and stops on
 * unsubscribe.
 *
 * @param source The coordinator (or any {@link DrainRateSource}) to follow.
 * @param options Rates, target, probing and backoff; see {@link MatchDrainRateOptions}.
 * @param scheduler Times the probes; pass a `TestScheduler` in tests. @default asyncScheduler
 * @throws RangeError or TypeError at call time for a bad option, naming it.
 * @example
 * ```ts
 * const rate$ = matchDrainRate(coordinator, { initial: 1_000 });
 * readings$
 *   .pipe(pace(rate$, { burst: coordinator.batchSize }), submitTo(coordinator, { onRefused: report }))
 *   .subscribe();
 * ```
 */
export function matchDrainRate(
  source: DrainRateSource,
  options?: MatchDrainRateOptions,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<number> {
  if (typeof source !== 'object' || source === null) {
    throw new TypeError(
      `source must be a coordinator or an object with drainRate$ and level$, found ${describeValue(source)}`,
    );
  }
  const { drainRate$, level$, depth$, capacity } = source;
  assertObservable('source.drainRate$', drainRate$);
  assertObservable('source.level$', level$);
  if (depth$ !== undefined) {
    assertObservable('source.depth$', depth$);
    assertPositiveNumber('source.capacity', capacity);
  }
  const watermarks = resolveWatermarks(source.watermarks);
  const {
    initial = 100,
    min = 1,
    max = Number.MAX_SAFE_INTEGER,
    headroom = 0.05,
    target = (watermarks.soft + watermarks.hardExit) / 2,
    settleMs = 100,
    probeEveryMs = 250,
    probeGain = 1.25,
    backoff = 0.5,
  } = options ?? {};
  assertNumber('min', min, 0);
  assertNumber('max', max, min);
  assertNumber('initial', initial, min, max);
  assertNumber('headroom', headroom, 0);
  assertOpenUnit('target', target);
  assertDelayMs('settleMs', settleMs, { positive: true });
  assertDelayMs('probeEveryMs', probeEveryMs, { positive: true });
  assertNumber('probeGain', probeGain, 1);
  if (probeGain === 1) throw new RangeError(`probeGain must be a finite number > 1, found 1`);
  assertOpenUnit('backoff', backoff);
  const targetDepth = depth$ === undefined ? 0 : target * (capacity as number);
  return new Observable<number>((subscriber) => {
    let level: BackpressureLevel = 'ok';
    let drain = 0;
    let depth: number | null = null;
    let rate = initial;
    let probe: Subscription | null = null;
    const set = (next: number): void => {
      const clamped = Math.min(max, Math.max(min, next));
      if (clamped === rate) return;
      rate = clamped;
      subscriber.next(rate);
    };
    const steering = (): number => {
      if (depth !== null) return ((targetDepth - depth) * 1_000) / settleMs;
      return level === 'ok' ? drain * headroom : 0;
    };
    const follow = (): void => {
      if (level === 'ok') set(Math.max(rate, drain + steering()));
      else if (level === 'soft') set(drain + steering());
      else set(Math.min(rate, drain) * backoff);
    };
    const stopProbing = (): void => {
      probe?.unsubscribe();
      probe = null;
    };
    const startProbing = (): void => {
      if (probe !== null || subscriber.closed) return;
      probe = scheduler.schedule(function () {
        set(rate * probeGain);
        this.schedule(undefined, probeEveryMs);
      }, probeEveryMs);
    };
    subscriber.add(stopProbing);
    subscriber.next(initial);
    startProbing();
    followControl(subscriber, level$, (value) => {
      const next = checkLevel('source.level$', value);
      if (next === level) return;
      level = next;
      if (level === 'ok') startProbing();
      else stopProbing();
      follow();
    });
    if (depth$ !== undefined) {
      followControl(subscriber, depth$, (value) => {
        depth = checkCount('source.depth$', value);
        if (level !== 'hard') follow();
      });
    }
    followControl(subscriber, drainRate$, (value) => {
      drain = checkCount('source.drainRate$', value);
      follow();
    });
  });
}

function checkCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must emit finite numbers >= 0, found ${describeValue(value)}`);
  }
  return value;
}

function assertOpenUnit(name: string, value: unknown): void {
  assertNumber(name, value, 0, 1);
  if (value === 0 || value === 1)
    throw new RangeError(`${name} must be within (0, 1), found ${String(value)}`);
}
