/**
 * @internal What a {@link WorkerPool} works on: where work comes from, how it is done, and when a
 * worker with nothing to do may end instead of sleeping.
 *
 * @example
 * ```ts
 * const queue = new BatchQueue<Row>(500, 250, scheduler, 10_000, () => pool.wakeOne());
 * let stopped = false;
 * const source: WorkSource<Row[]> = {
 *   take: () => queue.takeBatch(scheduler.now()),
 *   process: (batch) => write(batch),
 *   finished: () => stopped,
 * };
 * const pool = new WorkerPool(4, source);
 * ```
 */
export interface WorkSource<W> {
  /** The next piece of work, or `null` when there is none now. */
  take(): W | null;
  /** Does one piece of work; never rejects. */
  process(work: W): Promise<void>;
  /** Whether a worker that found nothing to do should end rather than sleep. */
  finished(): boolean;
}

/**
 * @internal What bounds the pieces of work running at once below the worker count, when that bound
 * moves (an adaptive concurrency limit).
 *
 * @example
 * ```ts
 * const bound: ConcurrencyBound = new ConcurrencyLimit({ min: 1, max: 16, initial: 4 });
 * ```
 */
export interface ConcurrencyBound {
  /** Most pieces of work running at once now, within `[1, size]`. */
  readonly limit: number;
}

/**
 * @internal A fixed number of workers, each taking work while there is some, then sleeping until
 * woken. A worker never polls, and it consumes again at once after any idle time. With a `bound`,
 * a worker takes work only while fewer than `bound.limit` are busy: when the limit drops, the
 * workers above it finish what they hold and sleep; when it rises, call `limitChanged()`.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool(4, workSource); // a WorkSource
 * pool.start();
 * pool.wakeOne(); // after queueing work
 * ```
 */
export class WorkerPool<W> {
  private readonly idle: (() => void)[] = [];
  private started = false;
  private busy = 0;

  constructor(
    /** Worker count: the most pieces of work at once. */
    readonly size: number,
    private readonly source: WorkSource<W>,
    private readonly bound: ConcurrencyBound | null = null,
  ) {}

  /** Most pieces of work running at once now: `size`, or the bound's limit. */
  get limit(): number {
    return this.bound === null ? this.size : this.bound.limit;
  }

  /** Whether the workers were started. */
  get running(): boolean {
    return this.started;
  }

  /** Workers sleeping for want of work. */
  get idleWorkers(): number {
    return this.idle.length;
  }

  /** Starts the workers; idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.size; i++) void this.runWorker();
  }

  /** Wakes one sleeping worker, if any. */
  wakeOne(): void {
    this.idle.pop()?.();
  }

  /** Wakes as many sleeping workers as a raised limit lets take work. */
  limitChanged(): void {
    for (let n = this.limit - this.busy; n > 0 && this.idle.length > 0; n--) this.wakeOne();
  }

  /** Wakes every sleeping worker (to drain, or to end). */
  wakeAll(): void {
    const idle = this.idle.splice(0);
    for (const wake of idle) wake();
  }

  private async runWorker(): Promise<void> {
    const source = this.source;
    const bound = this.bound;
    for (;;) {
      // Without a bound a worker at this point holds nothing, so `busy < size` always holds.
      const work = bound === null || this.busy < bound.limit ? source.take() : null;
      if (work !== null) {
        this.busy++;
        try {
          await source.process(work);
        } finally {
          this.busy--;
        }
        continue;
      }
      if (source.finished()) return;
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }
}
