import { CoordinatorReports } from '../../lib/coordinator/coordinator-reports.js';
import type { CoordinatorErrorReport } from '../../lib/coordinator/coordinator-error-report.js';
import type { DeadLetterRecord } from '../../lib/dead-letter/dead-letter-record.js';
import type { Dropped } from '../../lib/queue/bounded-queue.js';

describe('CoordinatorReports', () => {
  it('reports failures and drops to their subscribers', () => {
    const reports = new CoordinatorReports<number>('rows');
    const errors: CoordinatorErrorReport<number>[] = [];
    const dropped: Dropped<number>[] = [];
    reports.errors$.subscribe((e) => errors.push(e));
    reports.dropped$.subscribe((d) => dropped.push(d));
    const failure = new Error('classifier broke');
    reports.report({ kind: 'classifier', coordinatorId: 'rows', error: failure });
    reports.dropped(7);
    expect(errors).toEqual([{ kind: 'classifier', coordinatorId: 'rows', error: failure }]);
    expect(dropped).toEqual([{ item: 7, reason: 'overflow' }]);
  });

  it("reports a dead-letter queue failure as kind 'dead-letter' with the record", () => {
    const reports = new CoordinatorReports<number>('rows');
    const errors: CoordinatorErrorReport<number>[] = [];
    reports.errors$.subscribe((e) => errors.push(e));
    const record: DeadLetterRecord<number> = {
      ts: 0,
      coordinatorId: 'rows',
      reason: 'shutdown',
      error: { name: 'Error', message: 'x' },
      attempts: 0,
      items: [1],
    };
    const putError = new Error('disk full');
    reports.deadLetterFailed(record, putError);
    expect(errors).toEqual([{ kind: 'dead-letter', coordinatorId: 'rows', error: putError, record }]);
  });

  it('delivers nothing to late subscribers (hot) and completes both streams', () => {
    const reports = new CoordinatorReports<number>('rows');
    reports.dropped(1);
    const dropped: Dropped<number>[] = [];
    let completed = 0;
    reports.dropped$.subscribe({ next: (d) => dropped.push(d), complete: () => completed++ });
    reports.errors$.subscribe({ complete: () => completed++ });
    reports.complete();
    reports.dropped(2);
    expect(dropped).toEqual([]);
    expect(completed).toBe(2);
  });
});
