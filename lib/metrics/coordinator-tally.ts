import type { Subscription } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import type { MetricsCoordinator } from './metrics-coordinator.js';
import { errorTypeOf } from './error-type.js';

/** Most distinct `error_type` values kept per coordinator; further types count as `other`. */
export const MAX_ERROR_TYPES = 32;

const DEAD_LETTER_REASONS = ['retries_exhausted', 'non_retryable', 'shutdown'] as const;
const DROP_REASONS = ['overflow'] as const;

/**
 * What `health()` does not break down, counted from a coordinator's streams from the moment it is
 * added: feedback events by level, write errors by type, dead letters and drops by reason. Known
 * reasons start at 0 so that dashboards see the series before the first event.
 */
export class CoordinatorTally {
  readonly feedbackByLevel: Record<BackpressureLevel, number> = { ok: 0, soft: 0, hard: 0 };
  readonly errorsByType = new Map<string, number>();
  readonly deadLetteredByReason = new Map<string, number>(DEAD_LETTER_REASONS.map((r) => [r, 0]));
  readonly droppedByReason = new Map<string, number>(DROP_REASONS.map((r) => [r, 0]));
  private readonly subscriptions: Subscription[] = [];

  constructor(coordinator: MetricsCoordinator, onWritten: (seconds: number) => void) {
    this.subscriptions.push(
      coordinator.feedback$.subscribe((event) => {
        this.feedbackByLevel[event.level]++;
      }),
      coordinator.writes$.subscribe((record) => {
        if (record.outcome === 'written') onWritten(record.durationMs / 1000);
        else add(this.deadLetteredByReason, record.reason ?? 'unknown', record.size);
      }),
      coordinator.errors$.subscribe((report) => {
        if (report.kind !== 'write') return;
        const type = errorTypeOf(report.error);
        const known = this.errorsByType.has(type) || this.errorsByType.size < MAX_ERROR_TYPES;
        add(this.errorsByType, known ? type : 'other', 1);
      }),
      coordinator.dropped$.subscribe((dropped) => add(this.droppedByReason, dropped.reason, 1)),
    );
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }
}

function add(counts: Map<string, number>, key: string, amount: number): void {
  counts.set(key, (counts.get(key) ?? 0) + amount);
}
