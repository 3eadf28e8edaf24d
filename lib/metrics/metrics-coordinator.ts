import type { Observable } from 'rxjs';
import type { CoordinatorHealth } from '../coordinator/coordinator-health.js';
import type { CoordinatorErrorReport } from '../coordinator/coordinator-error-report.js';
import type { WriteRecord } from '../coordinator/write-record.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import type { Dropped } from '../queue/bounded-queue.js';

/**
 * What the metrics adapters read from a coordinator: its `health()` at collection time, and its
 * streams for what `health()` does not break down (latency per batch, feedback events by level,
 * write errors by type, dead letters and drops by reason). A `WriteCoordinator` of any item type
 * is one.
 *
 * @example
 * ```ts
 * const coordinator: MetricsCoordinator = new WriteCoordinator<Row>({ id: 'rows', sink });
 * registerCoordinatorMetrics(coordinator, { registry });
 * ```
 */
export interface MetricsCoordinator {
  /** Names the coordinator in every series (label `coord_id`). */
  readonly id: string;
  /** Read at every collection. */
  health(): CoordinatorHealth;
  /** One record per batch outcome: the latency histogram and dead letters by reason. */
  readonly writes$: Observable<WriteRecord>;
  /** Level changes: feedback events by level. */
  readonly feedback$: Observable<FeedbackEvent>;
  /** Failed attempts: write errors by type. */
  readonly errors$: Observable<CoordinatorErrorReport<unknown>>;
  /** Items discarded by a drop strategy: drops by reason. */
  readonly dropped$: Observable<Dropped<unknown>>;
}
