import { Subject, type Observable } from 'rxjs';
import { clampUtilization } from '../feedback/feedback-event.js';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import type { CircuitState } from '../circuit-breaker/circuit-breaker.js';
import type { DeadLetterReason } from '../dead-letter/dead-letter-record.js';
import type { CoordinatorHealth, CoordinatorState } from './coordinator-health.js';
import type { WriteRecord } from './write-record.js';
import type { TimeInLevel } from './level-clock.js';

/** What `health()` reports besides the counters: the coordinator's live state. */
export interface CoordinatorSnapshot {
  readonly id: string;
  readonly state: CoordinatorState;
  readonly workers: number;
  readonly concurrencyLimit: number;
  readonly busyWorkers: number;
  readonly queueSize: number;
  readonly inFlight: number;
  readonly queuedWeight: number;
  readonly inFlightWeight: number;
  readonly capacity: number;
  readonly level: BackpressureLevel;
  readonly circuitState: CircuitState;
  readonly timeInLevelMs: TimeInLevel;
}

/**
 * @internal The coordinator's ledger: every counter of `health()`, and the `writes$` record of each
 * batch outcome. Plain public fields, because they are bumped on the hot path; the invariant
 * `submitted = written + deadLettered + dropped + rejected + queueSize + inFlight` is kept by the
 * coordinator, which counts every item exactly once as it moves.
 *
 * @example
 * ```ts
 * const counters = new CoordinatorCounters('rows', () => 4);
 * counters.submitted++;
 * counters.countWritten(1, 1, 3);
 * ```
 */
export class CoordinatorCounters {
  submitted = 0;
  written = 0;
  deadLettered = 0;
  dropped = 0;
  rejected = 0;
  batchesWritten = 0;
  writeErrors = 0;
  deadLetterFailures = 0;
  /** Items dead-lettered with reason `'shutdown'`: a stop that drained left none. */
  shutdownDeadLettered = 0;

  /** One record per batch outcome. */
  readonly writes$: Observable<WriteRecord>;
  private readonly writesSubject = new Subject<WriteRecord>();

  constructor(
    private readonly coordinatorId: string,
    /** The concurrency limit in force, for the records. */
    private readonly concurrencyLimit: () => number,
  ) {
    this.writes$ = this.writesSubject.asObservable();
  }

  /** Counts a refused submit. */
  countRefused(): void {
    this.submitted++;
    this.rejected++;
  }

  /** Counts a batch written and reports it on `writes$`. */
  countWritten(size: number, attempts: number, durationMs: number): void {
    this.written += size;
    this.batchesWritten++;
    this.recordWrite(size, attempts, durationMs, null);
  }

  /** Counts items dead-lettered (whatever the dead-letter queue then does with them). */
  countDeadLettered(size: number, reason: DeadLetterReason): void {
    this.deadLettered += size;
    if (reason === 'shutdown') this.shutdownDeadLettered += size;
  }

  /** Reports a batch outcome on `writes$` (only when someone listens: nothing is built otherwise). */
  recordWrite(size: number, attempts: number, durationMs: number, reason: DeadLetterReason | null): void {
    if (!this.writesSubject.observed) return;
    const coordinatorId = this.coordinatorId;
    const concurrencyLimit = this.concurrencyLimit();
    this.writesSubject.next(
      reason === null
        ? { coordinatorId, size, attempts, durationMs, outcome: 'written', concurrencyLimit }
        : { coordinatorId, size, attempts, durationMs, outcome: 'dead-lettered', reason, concurrencyLimit },
    );
  }

  /** The counters with the live state, as `health()` returns them. */
  health(live: CoordinatorSnapshot): CoordinatorHealth {
    return {
      id: live.id,
      state: live.state,
      workers: live.workers,
      concurrencyLimit: live.concurrencyLimit,
      busyWorkers: live.busyWorkers,
      queueSize: live.queueSize,
      inFlight: live.inFlight,
      queuedWeight: live.queuedWeight,
      inFlightWeight: live.inFlightWeight,
      capacity: live.capacity,
      utilization: clampUtilization((live.queuedWeight + live.inFlightWeight) / live.capacity),
      level: live.level,
      circuitState: live.circuitState,
      submitted: this.submitted,
      written: this.written,
      deadLettered: this.deadLettered,
      dropped: this.dropped,
      rejected: this.rejected,
      batchesWritten: this.batchesWritten,
      writeErrors: this.writeErrors,
      deadLetterFailures: this.deadLetterFailures,
      timeInLevelMs: live.timeInLevelMs,
    };
  }

  /** Ends `writes$` (at stop). */
  complete(): void {
    this.writesSubject.complete();
  }
}
