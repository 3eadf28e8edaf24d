/**
 * The constants of the adaptive concurrency law, with where each comes from. They are not options:
 * the sources found these values to work across very different services, and a coordinator only
 * asks its user for the bounds (`min`, `max`, `initial`).
 *
 * @internal
 * @example
 * ```ts
 * const cut = Math.floor(8 * CONCURRENCY_LAW.decreaseRatio); // 7
 * ```
 */
export const CONCURRENCY_LAW = {
  /**
   * A failed write, or a latency climb just past the tolerance, multiplies the limit by this
   * (rounded down, and always by at least one). 0.9 is `backoffRatio` of Netflix
   * concurrency-limits' `AIMDLimit` and `decrease_ratio` of Vector's adaptive request concurrency.
   */
  decreaseRatio: 0.9,
  /**
   * The limit is cut once a round's mean write latency exceeds the smoothed minimum by this factor.
   * Netflix's `GradientLimit` tolerates 2.0 (`rttTolerance`); a batch sink is past its best
   * throughput well before each write takes twice as long, so the coordinator accepts 1.5.
   */
  latencyTolerance: 1.5,
  /**
   * The most one decision cuts: far past the tolerance the limit is multiplied by
   * `tolerance × minimum / latency` (the gradient of Netflix's `GradientLimit`), but never by less
   * than this (its gradient is clamped to [0.5, 1] for the same reason: one outlier must not
   * collapse the limit).
   */
  largestCut: 0.5,
  /**
   * Weight of a new round in the smoothed minimum latency. 0.4 is Vector's `ewma_alpha`; the
   * minimum moves that share of the way towards a lower round, and not at all towards a higher one
   * (the form of Netflix's `SmoothingMinimumMeasurement`), except at the lower bound `min`, where the latency measured *is*
   * the unloaded latency and the minimum follows it both ways.
   */
  minimumSmoothing: 0.4,
  /**
   * After a cut from a level, that level is probed again only after this many held rounds just
   * below it; the wait doubles each time the same level is cut again, up to `longestProbeWait`, and
   * halves each time the level holds (the plateau of TCP CUBIC near its last loss, counted in
   * rounds rather than time): a sink whose best concurrency is known is not pushed past it every
   * other round.
   */
  firstProbeWait: 2,
  /**
   * The longest wait, in rounds, before probing again a level that was cut repeatedly: with rounds of
   * `limit` writes, about as many writes at small limits as Netflix's `GradientLimit` lets pass
   * between its probes of the unloaded latency (`probeInterval`, 1000 updates).
   */
  longestProbeWait: 256,
} as const;

/**
 * @internal The bounds of an adaptive limit, checked (see `resolveCoordinatorOptions`).
 *
 * @example
 * ```ts
 * const bounds: ConcurrencyBounds = { min: 1, max: 32, initial: 4 };
 * ```
 */
export interface ConcurrencyBounds {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
}

/**
 * @internal One write attempt, as the coordinator saw it.
 *
 * @example
 * ```ts
 * law.record({ epoch: law.epoch, latencyMs: scheduler.now() - startedAt, failed: false, saturated: true });
 * ```
 */
export interface ConcurrencySample {
  /** `limit.epoch` when the attempt started: attempts started under an earlier limit are ignored. */
  readonly epoch: number;
  /** How long the attempt took, in ms, on the coordinator's scheduler. */
  readonly latencyMs: number;
  /** Whether it failed in a way that says the sink is overloaded (retryable error, timeout). */
  readonly failed: boolean;
  /** Whether every permitted write was running when it started (the limit was what held it back). */
  readonly saturated: boolean;
}

/**
 * @internal The adaptive concurrency law: how many writes a coordinator runs at once. Pure: it
 * reads no clock (latencies are measured by the coordinator on its scheduler) and holds no timers.
 *
 * The law works in rounds of `limit` attempts started under the current limit (one "window", as TCP
 * counts one window of acknowledgements), and decides once per round on the round's mean latency
 * (of the attempts that started with every permitted worker busy, if any: the others did not run
 * at the limit being judged):
 *
 * - the first round runs at `min`, to measure the unloaded latency, then the limit is `initial`;
 * - a failure (retryable error or timeout) cuts at once: `limit × decreaseRatio`;
 * - a round whose mean latency exceeds `latencyTolerance ×` the smoothed minimum cuts by
 *   `max(largestCut, min(decreaseRatio, tolerance × minimum / mean))`;
 * - a round that holds adds one, if the limit was reached in it (there was demand for more), and if
 *   the level above is not waiting out its probe wait after recent cuts there;
 * - a cut is always at least one and never below `min`; an increase never above `max`. At `min`,
 *   where nothing can be cut, the smoothed minimum follows the latency both ways.
 *
 * @example
 * ```ts
 * const law = new ConcurrencyLimit({ min: 1, max: 32, initial: 4 });
 * const epoch = law.epoch;
 * // ... the write runs ...
 * law.record({ epoch, latencyMs: 12, failed: false, saturated: true });
 * law.limit; // how many writes may run now
 * ```
 */
export class ConcurrencyLimit {
  readonly min: number;
  readonly max: number;
  readonly initial: number;

  private current: number;
  private changes = 0;
  /** The smoothed minimum of round mean latencies; `null` until the first round. */
  private minimum: number | null = null;
  // The round under way: attempts of the current epoch; the saturated ones apart, because an
  // attempt that started with workers to spare did not run at the limit being judged.
  private samples = 0;
  private latencySum = 0;
  private saturatedSamples = 0;
  private saturatedLatencySum = 0;
  /** Rounds held at the current limit since it was set. */
  private heldRounds = 0;
  /** Levels cut recently, and how many held rounds below each to wait before probing it again. */
  private readonly probeWaits = new Map<number, number>();

  constructor(bounds: ConcurrencyBounds) {
    this.min = bounds.min;
    this.max = bounds.max;
    this.initial = bounds.initial;
    this.current = bounds.min;
  }

  /** How many writes may run at once now. */
  get limit(): number {
    return this.current;
  }

  /** Changes of the limit so far: attempts carry it, so that the law ignores older ones. */
  get epoch(): number {
    return this.changes;
  }

  /** The smoothed minimum latency in ms, or `null` before the first round ended. */
  get minimumLatencyMs(): number | null {
    return this.minimum;
  }

  /** Takes one attempt into account; returns whether the limit changed. */
  record(sample: ConcurrencySample): boolean {
    if (sample.epoch !== this.changes) return false;
    if (sample.failed) return this.cut(CONCURRENCY_LAW.decreaseRatio);
    this.samples++;
    this.latencySum += sample.latencyMs;
    if (sample.saturated) {
      this.saturatedSamples++;
      this.saturatedLatencySum += sample.latencyMs;
    }
    if (this.samples < this.current) return false;
    const reached = this.saturatedSamples > 0;
    const mean = reached ? this.saturatedLatencySum / this.saturatedSamples : this.latencySum / this.samples;
    return this.decide(mean, reached);
  }

  private decide(mean: number, reached: boolean): boolean {
    const { latencyTolerance, minimumSmoothing, largestCut, decreaseRatio, firstProbeWait } = CONCURRENCY_LAW;
    const minimum = this.minimum;
    if (minimum === null) {
      this.minimum = mean;
      return this.set(this.initial);
    }
    const atFloor = this.current === this.min;
    if (mean < minimum || atFloor) this.minimum = minimum + minimumSmoothing * (mean - minimum);
    if (mean > latencyTolerance * minimum) {
      // At the floor nothing can be cut: the minimum follows the latency there until it holds.
      if (atFloor) return this.restartRound();
      const gradient = (latencyTolerance * minimum) / mean;
      return this.cut(Math.max(largestCut, Math.min(decreaseRatio, gradient)));
    }
    // The round held: this level's wait, if it was cut before, is halved.
    const wait = this.probeWaits.get(this.current);
    if (wait !== undefined) {
      if (wait / 2 < firstProbeWait) this.probeWaits.delete(this.current);
      else this.probeWaits.set(this.current, wait / 2);
    }
    this.heldRounds++;
    const next = this.current + 1;
    if (reached && next <= this.max && this.heldRounds >= (this.probeWaits.get(next) ?? 0)) {
      return this.set(next);
    }
    return this.restartRound();
  }

  private cut(factor: number): boolean {
    const from = this.current;
    if (from <= this.min) return this.restartRound();
    const wait = this.probeWaits.get(from);
    this.probeWaits.set(
      from,
      wait === undefined
        ? CONCURRENCY_LAW.firstProbeWait
        : Math.min(2 * wait, CONCURRENCY_LAW.longestProbeWait),
    );
    return this.set(Math.max(this.min, Math.min(from - 1, Math.floor(from * factor))));
  }

  private set(limit: number): boolean {
    this.restartRound();
    if (limit === this.current) return false;
    this.current = limit;
    this.changes++;
    this.heldRounds = 0;
    return true;
  }

  /** Starts a new round at the same limit; returns `false` (the limit did not change). */
  private restartRound(): false {
    this.samples = 0;
    this.latencySum = 0;
    this.saturatedSamples = 0;
    this.saturatedLatencySum = 0;
    return false;
  }
}
