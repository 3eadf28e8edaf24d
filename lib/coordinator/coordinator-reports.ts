import { Subject, type Observable } from 'rxjs';
import type { Dropped } from '../queue/bounded-queue.js';
import type { DeadLetterRecord } from '../dead-letter/dead-letter-record.js';
import type { CoordinatorErrorReport } from './coordinator-error-report.js';

/**
 * @internal What a coordinator tells its observers besides depth and level: the failures it
 * survives (`errors$`) and the items a drop strategy discarded (`dropped$`). Nothing is built for a
 * stream nobody listens to.
 *
 * @example
 * ```ts
 * const reports = new CoordinatorReports<Row>('rows');
 * reports.errors$.subscribe((report) => log.warn(report));
 * reports.report({ kind: 'classifier', coordinatorId: 'rows', error });
 * ```
 */
export class CoordinatorReports<T> {
  /** Hot: failures the coordinator survives (failed attempts, dead-letter queue failures). */
  readonly errors$: Observable<CoordinatorErrorReport<T>>;
  /** Hot: items discarded by the `'drop-oldest'` / `'drop-newest'` strategies. */
  readonly dropped$: Observable<Dropped<T>>;
  private readonly errorsSubject = new Subject<CoordinatorErrorReport<T>>();
  private readonly droppedSubject = new Subject<Dropped<T>>();

  constructor(private readonly coordinatorId: string) {
    this.errors$ = this.errorsSubject.asObservable();
    this.dropped$ = this.droppedSubject.asObservable();
  }

  /** Reports a failure the coordinator survives. */
  report(report: CoordinatorErrorReport<T>): void {
    if (this.errorsSubject.observed) this.errorsSubject.next(report);
  }

  /** Reports that the dead-letter queue failed to store `record` (it is kept in memory). */
  deadLetterFailed(record: DeadLetterRecord<T>, error: unknown): void {
    this.report({ kind: 'dead-letter', coordinatorId: this.coordinatorId, error, record });
  }

  /** Reports an item discarded by the overflow strategy. */
  dropped(item: T): void {
    if (this.droppedSubject.observed) this.droppedSubject.next({ item, reason: 'overflow' });
  }

  /** Ends both streams (at stop). */
  complete(): void {
    this.errorsSubject.complete();
    this.droppedSubject.complete();
  }
}
