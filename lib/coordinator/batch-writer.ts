import type { SchedulerLike } from 'rxjs';
import { WriteTimeoutError, isWriteTimeoutError } from '../errors/write-timeout-error.js';
import type { CoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import type { RetryPolicyLike } from '../retry/retry-policy.js';
import type { CircuitBreaker, CircuitPermit } from '../circuit-breaker/circuit-breaker.js';
import type { DeadLetterReason } from '../dead-letter/dead-letter-record.js';
import type { SinkFunction, WriteContext } from './sink.js';
import type { CoordinatorErrorReport } from './coordinator-error-report.js';
import type { CoordinatorCounters } from './coordinator-counters.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import { isPromiseLike } from '../internal/is-promise-like.js';
import { abortableSleep } from '../internal/abortable-sleep.js';

/**
 * @internal A batch held by a worker, from the moment it is taken until its outcome.
 *
 * @example
 * ```ts
 * const writer = new BatchWriter<Row>(writerConfig);
 * const batch = writer.begin(items, scheduler.now());
 * ```
 */
export interface Batch<T> {
  readonly items: T[];
  /** The items' weight (their count when items are not weighed). */
  readonly weight: number;
  readonly takenAt: number;
  attempts: number;
  /** Written or dead-lettered; set once, by the writer or by `stop` giving up. */
  settled: boolean;
  /** The running attempt, so that `stop` can abort it. */
  running: AttemptContext | null;
  /** Ends this batch's waits on backoff and on the breaker; created on the first wait. */
  waitController: AbortController | null;
}

/**
 * @internal The context of one write attempt. Its signal is created on first read, so that a sink
 * that never looks at it (a synchronous in-memory sink) costs no AbortController per batch;
 * aborting before or after the read is the same for the sink.
 *
 * @example
 * ```ts
 * const context = new AttemptContext(1);
 * context.abort(new WriteTimeoutError(30_000));
 * ```
 */
export class AttemptContext implements WriteContext {
  /** Called on abort while the writer waits for this attempt. */
  onAbort: ((reason: unknown) => void) | null = null;
  private controller: AbortController | null = null;
  private aborted = false;
  private reason: unknown = undefined;

  constructor(readonly attempt: number) {}

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
  }
}

/** A failed attempt (the error may be any value, `undefined` included). */
class Failure {
  constructor(readonly error: unknown) {}
}

/**
 * @internal How a {@link BatchWriter} is configured and what it reports to.
 *
 * @example
 * ```ts
 * const config: BatchWriterConfig<Row> = {
 *   id: 'rows',
 *   write: sink,
 *   scheduler: asyncScheduler,
 *   breaker: null,
 *   retryPolicy: new RetryPolicy({ maxAttempts: 3 }),
 *   writeTimeoutMs: 30_000,
 *   counters: new CoordinatorCounters('rows', () => 4),
 *   report: (report) => log.warn(report.kind, report.error),
 *   settled: (batch, reason) => log.info(batch.items.length, reason ?? 'written'),
 * };
 * ```
 */
export interface BatchWriterConfig<T> {
  readonly id: string;
  readonly write: SinkFunction<T>;
  readonly scheduler: SchedulerLike;
  readonly breaker: CircuitBreaker | null;
  readonly retryPolicy: RetryPolicyLike;
  readonly writeTimeoutMs: number;
  /** Where failed attempts are counted (`writeErrors`). */
  readonly counters: CoordinatorCounters;
  /** A failure the coordinator survives: a failed attempt, a throwing classifier. */
  readonly report: (report: CoordinatorErrorReport<T>) => void;
  /** A batch's outcome: written (`reason` null) or to be dead-lettered with `reason` and `error`. */
  readonly settled: (batch: Batch<T>, reason: DeadLetterReason | null, error: unknown) => void;
  /** The adaptive concurrency law, told of every attempt's latency and outcome; absent when fixed. */
  readonly concurrency?: ConcurrencyLimit | null;
  /** Called when the law changed the limit. */
  readonly limitChanged?: () => void;
}

/**
 * @internal Writes batches: one batch's attempts, each under the write timeout and a breaker
 * permit, retried with backoff while the classifier says so; the outcome, written or dead-letter
 * with a reason, goes to `settled` exactly once. Also holds every batch being written, so that
 * `stop` can end their waits and give up on them.
 *
 * @example
 * ```ts
 * const writer = new BatchWriter<Row>(writerConfig); // a BatchWriterConfig
 * await writer.process(writer.begin(items, scheduler.now()));
 * ```
 */
export class BatchWriter<T> {
  /** No new retries: a failed attempt dead-letters its batch with reason `'shutdown'`. */
  noRetries = false;

  private readonly batches = new Set<Batch<T>>();
  /** Set once stop ends the waits on backoff and on the breaker; the error they end with. */
  private waitsEnded: CoordinatorClosedError | null = null;

  constructor(private readonly config: BatchWriterConfig<T>) {}

  /** Items in the batches held now. */
  inFlight = 0;
  /** The weight of the batches held now (`inFlight` when items are not weighed). */
  inFlightWeight = 0;

  /** Batches held now (taken and not settled). */
  get held(): number {
    return this.batches.size;
  }

  /** Starts holding `items`, of total `weight`, as a batch. */
  begin(items: T[], now: number, weight = items.length): Batch<T> {
    const batch: Batch<T> = {
      items,
      weight,
      takenAt: now,
      attempts: 0,
      settled: false,
      running: null,
      waitController: null,
    };
    this.batches.add(batch);
    this.inFlight += items.length;
    this.inFlightWeight += weight;
    return batch;
  }

  /** Writes a batch to its outcome; never rejects. */
  async process(batch: Batch<T>): Promise<void> {
    try {
      await this.writeWithRetries(batch);
    } catch (error) {
      // Only a hostile policy or breaker gets here; the worker survives and the batch is not lost.
      if (!batch.settled) this.settle(batch, 'non_retryable', error);
    }
  }

  /** Settles a batch, once: it is no longer held, and its outcome goes to `settled`. */
  settle(batch: Batch<T>, reason: DeadLetterReason | null, error?: unknown): void {
    if (batch.settled) return;
    batch.settled = true;
    this.batches.delete(batch);
    this.inFlight -= batch.items.length;
    this.inFlightWeight -= batch.weight;
    this.config.settled(batch, reason, error);
  }

  /** Ends every wait on backoff or on the breaker, now and from now on. */
  endWaits(reason: CoordinatorClosedError): void {
    if (this.waitsEnded !== null) return;
    this.waitsEnded = reason;
    for (const batch of this.batches) batch.waitController?.abort(reason);
  }

  /** At stop's deadline: every held batch is settled as `'shutdown'` and its attempt aborted. */
  giveUp(reason: CoordinatorClosedError): void {
    this.noRetries = true;
    this.endWaits(reason);
    for (const batch of [...this.batches]) {
      const running = batch.running;
      this.settle(batch, 'shutdown', reason);
      running?.abort(reason);
    }
  }

  private async writeWithRetries(batch: Batch<T>): Promise<void> {
    const { breaker, retryPolicy } = this.config;
    let lastError: unknown = undefined;
    for (;;) {
      let permit: CircuitPermit | null = null;
      if (breaker !== null) {
        permit = breaker.tryAcquire();
        if (permit === null) {
          try {
            permit = await breaker.acquire(this.waitSignal(batch));
          } catch (reason) {
            if (!batch.settled) this.settle(batch, 'shutdown', lastError ?? reason);
            return;
          }
          if (batch.settled) {
            breaker.release(permit);
            return;
          }
        }
      }
      batch.attempts++;
      const measure = this.config.concurrency ?? null;
      const epoch = measure === null ? 0 : measure.epoch;
      const startedAt = measure === null ? 0 : this.config.scheduler.now();
      // Held batches occupy a worker each, on backoff too: all of them busy means the limit binds.
      const saturated = measure !== null && this.batches.size >= measure.limit;
      const outcome = await this.attempt(batch);
      if (batch.settled) {
        // `stop` gave up on it meanwhile: the outcome says nothing about the sink.
        if (permit !== null) breaker!.release(permit);
        return;
      }
      if (outcome === undefined) {
        if (permit !== null) breaker!.recordSuccess(permit);
        if (measure !== null) this.measured(measure, epoch, startedAt, false, saturated);
        this.settle(batch, null);
        return;
      }
      const error = outcome.error;
      lastError = error;
      this.config.counters.writeErrors++;
      this.config.report({
        kind: 'write',
        coordinatorId: this.config.id,
        error,
        attempt: batch.attempts,
        size: batch.items.length,
      });
      if (!this.isRetryable(error)) {
        // A bad batch, not a down sink: the breaker does not count it.
        if (permit !== null) breaker!.release(permit);
        this.settle(batch, 'non_retryable', error);
        return;
      }
      if (permit !== null) breaker!.recordFailure(permit);
      // A retryable failure (a timeout included) says the sink is overloaded or down: fewer writes.
      if (measure !== null) this.measured(measure, epoch, startedAt, true, saturated);
      if (batch.settled) return;
      if (batch.attempts >= retryPolicy.maxAttempts) {
        this.settle(batch, 'retries_exhausted', error);
        return;
      }
      if (this.noRetries) {
        this.settle(batch, 'shutdown', error);
        return;
      }
      const waited = await this.sleep(retryPolicy.backoffMs(batch.attempts), this.waitSignal(batch));
      if (batch.settled) return;
      if (!waited) {
        this.settle(batch, 'shutdown', error);
        return;
      }
    }
  }

  /**
   * One write: `undefined` on success, a `Failure` otherwise. Never waits past the write timeout or
   * an abort, even when the sink ignores its signal.
   */
  private attempt(batch: Batch<T>): Failure | undefined | Promise<Failure | undefined> {
    const { write, scheduler, writeTimeoutMs } = this.config;
    const context = new AttemptContext(batch.attempts);
    batch.running = context;
    let result: unknown;
    try {
      // The sink gets its own copy: counting and dead-lettering rely on the coordinator's record of
      // the batch, whatever a sink does to the array it was handed (`length = 0`, `splice`, `push`).
      result = write(batch.items.slice(), context);
    } catch (error) {
      batch.running = null;
      return new Failure(error);
    }
    if (!isPromiseLike(result)) {
      batch.running = null;
      return undefined;
    }
    const pending = result;
    return new Promise<Failure | undefined>((resolve) => {
      let done = false;
      const settle = (value: Failure | undefined): void => {
        if (done) return;
        done = true;
        timer.unsubscribe();
        context.onAbort = null;
        batch.running = null;
        resolve(value);
      };
      context.onAbort = (reason) => settle(new Failure(reason));
      const timer = scheduler.schedule(
        () => context.abort(new WriteTimeoutError(writeTimeoutMs)),
        writeTimeoutMs,
      );
      try {
        pending.then(
          () => settle(undefined),
          (error: unknown) => settle(new Failure(error)),
        );
      } catch (error) {
        settle(new Failure(error));
      }
    });
  }

  private measured(
    measure: ConcurrencyLimit,
    epoch: number,
    startedAt: number,
    failed: boolean,
    saturated: boolean,
  ): void {
    const latencyMs = this.config.scheduler.now() - startedAt;
    if (measure.record({ epoch, latencyMs, failed, saturated })) this.config.limitChanged?.();
  }

  private isRetryable(error: unknown): boolean {
    if (isWriteTimeoutError(error)) return true;
    try {
      return this.config.retryPolicy.isRetryable(error) === true;
    } catch (classifierError) {
      this.config.report({ kind: 'classifier', coordinatorId: this.config.id, error: classifierError });
      return false;
    }
  }

  /**
   * The signal that ends a batch's waits (backoff, breaker) at stop. One controller per waiting
   * batch rather than one shared signal, so that many workers waiting at once do not pile listeners
   * onto a single AbortSignal (Node warns past 10).
   */
  private waitSignal(batch: Batch<T>): AbortSignal {
    if (batch.waitController === null) {
      batch.waitController = new AbortController();
      if (this.waitsEnded !== null) batch.waitController.abort(this.waitsEnded);
    }
    return batch.waitController.signal;
  }

  /** Waits `ms` on the scheduler; resolves `false` at once when `signal` aborts. */
  private sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    // A custom policy may return anything: the sleep cuts it to what a timer can wait.
    return abortableSleep(ms, signal, this.config.scheduler);
  }
}
