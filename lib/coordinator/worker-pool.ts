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
 * @internal A fixed number of workers, each taking work while there is some, then sleeping until
 * woken. A worker never polls, and it consumes again at once after any idle time.
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

  constructor(
    /** Worker count. */
    readonly size: number,
    private readonly source: WorkSource<W>,
  ) {}

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

  /** Wakes every sleeping worker (to drain, or to end). */
  wakeAll(): void {
    const idle = this.idle.splice(0);
    for (const wake of idle) wake();
  }

  private async runWorker(): Promise<void> {
    const source = this.source;
    for (;;) {
      const work = source.take();
      if (work !== null) {
        await source.process(work);
        continue;
      }
      if (source.finished()) return;
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }
}
