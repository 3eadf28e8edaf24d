import { Subject, type Observable, type SchedulerLike } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { nextLevel, type ResolvedWatermarks } from '../levels/watermarks.js';
import { LevelDwell } from '../levels/level-dwell.js';
import {
  clampUtilization,
  createFeedbackEvent,
  reasonForTransition,
  type FeedbackEvent,
  type FeedbackReason,
} from '../feedback/feedback-event.js';
import type { FeedbackBus } from '../feedback/feedback-bus.js';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';
import { Multicast } from './multicast.js';
import { LevelClock, type TimeInLevel } from './level-clock.js';

/** A level change (or a change of its cause) waiting to be emitted. */
interface PendingLevel {
  readonly previousLevel: BackpressureLevel;
  readonly level: BackpressureLevel;
  readonly reason: FeedbackReason | null;
  readonly queueSize: number;
}

/**
 * @internal What a {@link PressureSignal} reads from its coordinator and publishes to.
 *
 * @example
 * ```ts
 * const config: PressureSignalConfig = {
 *   id: 'rows',
 *   source: 'ingest',
 *   capacity: 10_000,
 *   watermarks: resolveWatermarks(DEFAULT_WATERMARKS),
 *   scheduler: asyncScheduler,
 *   bus: feedbackBus(),
 *   depth: () => queue.size,
 *   circuitState: () => 'closed',
 *   stopped: () => false,
 *   depthWatched: () => undefined,
 * };
 * ```
 */
export interface PressureSignalConfig {
  readonly id: string;
  readonly source: string;
  readonly capacity: number;
  readonly watermarks: ResolvedWatermarks;
  readonly scheduler: SchedulerLike;
  readonly bus: FeedbackBus | null;
  /** Items held now: queued plus in flight. */
  readonly depth: () => number;
  /** The breaker's state now (`'closed'` without a breaker). */
  readonly circuitState: () => CircuitState;
  /** Whether the coordinator has stopped (a stopped coordinator's breaker holds nothing). */
  readonly stopped: () => boolean;
  /**
   * `depth$` got a subscriber: from now on every depth change must reach `depthChanged` or
   * `depthRose` (the owner works out again the rise {@link PressureSignal.steadyRise} allowed).
   */
  readonly depthWatched?: () => void;
}

/**
 * @internal A coordinator's pressure, from depth to level to event to bus: the `depth$`, `level$`
 * and `feedback$` emitters, and the breaker's hold on `'hard'`.
 *
 * The level tracking here is the imperative twin of `toBackpressureLevel`: the same `nextLevel`
 * step with hysteresis over `depth / capacity`, fed one depth at a time instead of through `scan`,
 * so that the hot path allocates nothing. While the breaker holds the level at `'hard'` the depth's
 * own level goes on being tracked, and is what the level returns to. A property test checks that
 * the two agree on random depth sequences with breaker events.
 *
 * @example
 * ```ts
 * const signal = new PressureSignal(signalConfig); // a PressureSignalConfig
 * signal.depthChanged(); // after every operation that may change the depth
 * signal.level$.subscribe((level) => console.log(level));
 * ```
 */
export class PressureSignal {
  /** Items held: the current depth on subscribe, then every change, synchronously. */
  readonly depth$: Observable<number>;
  /** The level: the current one on subscribe, then every change, synchronously. */
  readonly level$: Observable<BackpressureLevel>;
  /** Hot: an event for every change of level or of its cause. */
  readonly feedback$: Observable<FeedbackEvent>;

  // `depthLevel` follows the depth (hysteresis included) even while the breaker holds the level at
  // 'hard'. Changes are emitted through `pending`, in order; `reportedDepth` and `emittedLevel` are
  // what subscribers have seen, given to new subscribers so that they never get a value ahead of
  // the changes still to be emitted.
  private depthSeen = 0;
  private depthLevel: BackpressureLevel = 'ok';
  // The depths `[bandLow, bandHigh)` over which `nextLevel` keeps `depthLevel` as it is: inside
  // the band (nearly every item) the level step is skipped, and a depth change costs a comparison.
  private bandLow = 0;
  private bandHigh = 0;
  private circuitHolding = false;
  private reportedDepth = 0;
  private emittedLevel: BackpressureLevel = 'ok';
  private readonly pending: (number | PendingLevel)[] = [];
  private emitting = false;

  private readonly depthSubject = new Multicast<number>();
  private readonly levelSubject = new Multicast<BackpressureLevel>();
  private readonly feedbackSubject = new Subject<FeedbackEvent>();
  /** Time spent in each level, for `health().timeInLevelMs`. */
  private readonly levelClock: LevelClock;
  // With a minimum dwell time, the depth's level goes through LevelDwell, whose timer lowers a
  // held-back level once the dwell is over; without one, the plain nextLevel step (no timer).
  private readonly dwell: LevelDwell | null;

  constructor(private readonly config: PressureSignalConfig) {
    // The level of an empty coordinator: 'ok', unless a soft watermark of 0 makes even no depth
    // 'soft' (as toBackpressureLevel says of a first depth of 0).
    const initial = nextLevel('ok', 0, config.watermarks);
    this.depthLevel = this.emittedLevel = initial;
    this.levelClock = new LevelClock(config.scheduler, initial);
    this.dwell =
      config.watermarks.minDwellMs > 0
        ? new LevelDwell(config.watermarks, config.scheduler, (previous, level) =>
            this.dwellEnded(previous, level),
          )
        : null;
    this.depth$ = this.depthSubject.asObservable(() => this.depthOnSubscribe());
    this.level$ = this.levelSubject.asObservable(() => this.emittedLevel);
    this.feedback$ = this.feedbackSubject.asObservable();
    this.rebuildBand();
  }

  /** The depth's own level, or `'hard'` while the breaker holds it. */
  get level(): BackpressureLevel {
    return this.circuitHolding ? 'hard' : this.depthLevel;
  }

  /** Milliseconds spent in each level so far, the current one's running time included. */
  timeInLevel(): TimeInLevel {
    return this.levelClock.read();
  }

  /** Whether the breaker holds the level at `'hard'`. */
  get holding(): boolean {
    return this.circuitHolding;
  }

  /** Whether `depth$` has subscribers, who must see every depth (through `depthRose` on the fast path). */
  get depthObserved(): boolean {
    return this.depthSubject.observed;
  }

  /**
   * How far the depth may rise from `depth`, the depth just announced, with the level staying the
   * same all the way. Its owner may then let the depth rise that far without the level step: with
   * nobody watching `depth$` without calling anything, otherwise calling `depthRose` for each
   * item (even from inside an emission: the level being emitted is already the depth's). 0 with a
   * minimum dwell time, whose timer must see every depth.
   */
  steadyRise(depth: number): number {
    if (depth !== this.depthSeen) return 0;
    return Math.max(0, this.bandHigh - 1 - depth);
  }

  /**
   * The depth rose to `depth` within the rise `steadyRise` allowed: `depth$` subscribers get it,
   * in order (queued behind an emission in progress), with no level step.
   */
  depthRose(depth: number): void {
    this.depthSeen = depth;
    if (this.emitting) {
      this.pending.push(depth);
      return;
    }
    this.reportedDepth = depth;
    this.emitDepth(depth);
  }

  /**
   * The depth a new `depth$` subscriber gets first. During an emission, the last one emitted (the
   * rest follow in order). Otherwise the depth now, which may have risen past the last one seen
   * here while nobody watched (see `steadyRise`): from now on every change is seen, from it on;
   * unless a change is under way (below).
   */
  private depthOnSubscribe(): number {
    this.config.depthWatched?.();
    if (this.emitting) return this.reportedDepth;
    const depth = this.config.depth();
    if (depth >= this.bandLow && depth < this.bandHigh) {
      this.depthSeen = this.reportedDepth = depth;
      return depth;
    }
    // Outside the band, the change that moved the depth is yet to be announced: the caller
    // subscribes from inside it (a `writes$` or `dropped$` subscriber, a dead-letter queue). Start
    // from the last depth announced; the change follows, with its level step, for everyone.
    return this.reportedDepth;
  }

  /**
   * Items taken on the fast path while nobody watched `depth$` moved the depth to `depth` without
   * telling this signal: it starts from there (what a new `depth$` subscriber gets, what the next
   * change is compared with). Only inside the band, where the level is the one it was; outside it,
   * a change is under way and its level step is still to come.
   */
  caughtUp(depth: number): void {
    if (depth < this.bandLow || depth >= this.bandHigh) return;
    this.depthSeen = depth;
    if (!this.emitting) this.reportedDepth = depth;
  }

  /**
   * Called after every operation that may change the depth. Hot path: a comparison, a `nextLevel`
   * call and a few flag checks; nothing is allocated or emitted when nobody listens and the level
   * stays the same.
   */
  depthChanged(): void {
    const depth = this.config.depth();
    if (depth === this.depthSeen) return;
    this.depthSeen = depth;
    const observed = this.depthSubject.observed;
    if (depth >= this.bandLow && depth < this.bandHigh) {
      // The level stays: only the depth is news.
      if (this.emitting) {
        if (observed) this.pending.push(depth);
        return;
      }
      this.reportedDepth = depth;
      if (observed) this.emitDepth(depth);
      return;
    }
    const previous = this.circuitHolding ? 'hard' : this.depthLevel;
    const utilization = depth / this.config.capacity;
    const depthLevel =
      this.dwell === null
        ? nextLevel(this.depthLevel, utilization, this.config.watermarks)
        : this.dwell.update(utilization);
    if (depthLevel !== this.depthLevel) {
      this.depthLevel = depthLevel;
      this.rebuildBand();
    }
    const level = this.circuitHolding ? 'hard' : this.depthLevel;
    if (level !== previous) this.levelClock.enter(level);
    if (this.emitting) {
      // Re-entrant: queue behind the emission in progress.
      if (observed) this.pending.push(depth);
      if (level !== previous) {
        this.pending.push(this.levelChange(previous, level, reasonForTransition(previous, level)));
      }
      return;
    }
    if (level === previous) {
      this.reportedDepth = depth;
      if (observed) this.emitDepth(depth);
      return;
    }
    if (observed) this.pending.push(depth);
    this.pending.push(this.levelChange(previous, level, reasonForTransition(previous, level)));
    this.emitPending();
  }

  /** The band of depths over which the depth's own level stays `depthLevel` (see `nextLevel`). */
  private rebuildBand(): void {
    if (this.dwell !== null) {
      // With a minimum dwell time the level depends on time as well as depth, and LevelDwell must
      // see every depth (it re-checks the latest one when a dwell ends): no shortcut band.
      this.bandLow = 0;
      this.bandHigh = 0;
      return;
    }
    const { soft, hard, softExit, hardExit } = this.config.watermarks;
    switch (this.depthLevel) {
      case 'ok':
        this.bandLow = 0;
        this.bandHigh = this.firstDepthAtOrAbove(soft);
        break;
      case 'soft':
        this.bandLow = this.firstDepthAtOrAbove(softExit);
        this.bandHigh = this.firstDepthAtOrAbove(hard);
        break;
      default:
        this.bandLow = this.firstDepthAtOrAbove(hardExit);
        this.bandHigh = Number.POSITIVE_INFINITY;
    }
  }

  /** The smallest depth whose utilization (`depth / capacity`, as `nextLevel` sees it) is `>= fraction`. */
  private firstDepthAtOrAbove(fraction: number): number {
    const capacity = this.config.capacity;
    let depth = Math.max(0, Math.ceil(fraction * capacity));
    while (depth > 0 && (depth - 1) / capacity >= fraction) depth--;
    while (depth / capacity < fraction) depth++;
    return depth;
  }

  /**
   * The breaker changed state. Opening holds the level at 'hard' (a re-open after a failed probe is
   * the same cause and publishes nothing new); closing returns to the depth's own level. Both
   * publish an event even when the level does not change: the cause did. Half-open keeps the hold
   * only while something is held, which the probe will write; with nothing held no probe would ever
   * run, and a producer paused on 'hard' would never submit one: the hold is released.
   */
  circuitChanged(state: CircuitState): void {
    if (state === 'open') {
      if (!this.circuitHolding) {
        const previous = this.depthLevel;
        this.circuitHolding = true;
        this.levelClock.enter('hard');
        this.pending.push(this.levelChange(previous, 'hard', 'circuit_open'));
        this.emitPending();
      }
    } else if (state === 'closed') {
      if (this.circuitHolding) this.releaseHold('circuit_closed');
    } else {
      this.releaseIdleHold();
    }
  }

  /** Half-open with nothing held: nothing can probe the sink, so the level stops holding 'hard'. */
  releaseIdleHold(): void {
    if (
      this.circuitHolding &&
      this.config.depth() === 0 &&
      this.config.circuitState() === 'half-open' &&
      !this.config.stopped()
    ) {
      this.releaseHold('circuit_half_open');
    }
  }

  /** Ends the breaker's hold: the level returns to the depth's own, with an event for the cause. */
  releaseHold(reason: FeedbackReason): void {
    this.circuitHolding = false;
    this.levelClock.enter(this.depthLevel);
    this.pending.push(this.levelChange('hard', this.depthLevel, reason));
    this.emitPending();
  }

  /** The minimum dwell time of a level held back is over: the level falls to what the depth says. */
  private dwellEnded(previous: BackpressureLevel, level: BackpressureLevel): void {
    this.depthLevel = level;
    if (this.circuitHolding) return; // the breaker's 'hard' is what subscribers see
    this.levelClock.enter(level);
    this.pending.push(this.levelChange(previous, level, reasonForTransition(previous, level)));
    this.emitPending();
  }

  /** Completes the three streams (at stop), stops counting time in level and cancels the dwell's timer. */
  complete(): void {
    this.levelClock.stop();
    this.dwell?.dispose();
    this.depthSubject.complete();
    this.levelSubject.complete();
    this.feedbackSubject.complete();
  }

  /** Emits one depth change with nothing else pending (the common case), then whatever it caused. */
  private emitDepth(depth: number): void {
    this.emitting = true;
    try {
      this.depthSubject.next(depth);
    } finally {
      this.emitting = false;
    }
    if (this.pending.length > 0) this.emitPending();
  }

  private levelChange(
    previousLevel: BackpressureLevel,
    level: BackpressureLevel,
    reason: FeedbackReason | null,
  ): PendingLevel {
    return { previousLevel, level, reason, queueSize: this.config.depth() };
  }

  /**
   * Emits queued changes in the order they happened. A subscriber that submits from inside an
   * emission (a re-entrant change) only queues its changes; they are emitted, each of them, once the
   * current emission has reached every subscriber. So subscribers see every depth and level in
   * order, and each event's `previousLevel` is the level of the event before.
   */
  private emitPending(): void {
    if (this.emitting) return;
    this.emitting = true;
    const pending = this.pending;
    try {
      for (let i = 0; i < pending.length; i++) {
        const change = pending[i]!;
        if (typeof change === 'number') {
          this.reportedDepth = change;
          this.depthSubject.next(change);
        } else {
          this.emittedLevel = change.level;
          if (change.level !== change.previousLevel) this.levelSubject.next(change.level);
          this.publish(change);
        }
      }
    } finally {
      pending.length = 0;
      this.emitting = false;
      // Changes nobody observed while emitting were not queued; the depth now is what a new
      // subscriber should get.
      this.reportedDepth = this.config.depth();
    }
  }

  private publish(change: PendingLevel): void {
    const { bus, capacity } = this.config;
    if (bus === null && !this.feedbackSubject.observed) return;
    const event = createFeedbackEvent({
      coordinatorId: this.config.id,
      level: change.level,
      previousLevel: change.previousLevel,
      queueSize: change.queueSize,
      capacity,
      utilization: clampUtilization(change.queueSize / capacity),
      reason: change.reason,
      source: this.config.source,
      ts: this.config.scheduler.now(),
    });
    this.feedbackSubject.next(event);
    bus?.publish(event);
  }
}
