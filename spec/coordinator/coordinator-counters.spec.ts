import { CoordinatorCounters } from '../../lib/coordinator/coordinator-counters.js';
import type { WriteRecord } from '../../lib/coordinator/write-record.js';

const live = {
  id: 'c',
  state: 'running' as const,
  workers: 2,
  concurrencyLimit: 2,
  busyWorkers: 1,
  queueSize: 3,
  inFlight: 2,
  queuedWeight: 3,
  inFlightWeight: 2,
  capacity: 10,
  level: 'ok' as const,
  circuitState: 'closed' as const,
  timeInLevelMs: { ok: 40, soft: 2, hard: 0 },
};

describe('CoordinatorCounters', () => {
  it('counts outcomes and reports each batch on writes$', () => {
    const counters = new CoordinatorCounters('c', () => 4);
    const records: WriteRecord[] = [];
    counters.writes$.subscribe((r) => records.push(r));
    counters.submitted += 10;
    counters.countWritten(4, 1, 12);
    counters.countDeadLettered(3, 'shutdown');
    counters.recordWrite(3, 0, 0, 'shutdown');
    counters.countDeadLettered(1, 'non_retryable');
    counters.countRefused();
    expect(counters).toMatchObject({
      submitted: 11,
      written: 4,
      batchesWritten: 1,
      deadLettered: 4,
      shutdownDeadLettered: 3,
      rejected: 1,
    });
    expect(records).toEqual([
      { coordinatorId: 'c', size: 4, attempts: 1, durationMs: 12, outcome: 'written', concurrencyLimit: 4 },
      {
        coordinatorId: 'c',
        size: 3,
        attempts: 0,
        durationMs: 0,
        outcome: 'dead-lettered',
        reason: 'shutdown',
        concurrencyLimit: 4,
      },
    ]);
  });

  it('combines the counters with the live state in health(), utilization included', () => {
    const counters = new CoordinatorCounters('c', () => 4);
    counters.submitted = 5;
    expect(counters.health(live)).toEqual({
      ...live,
      utilization: 0.5,
      submitted: 5,
      written: 0,
      deadLettered: 0,
      dropped: 0,
      rejected: 0,
      batchesWritten: 0,
      writeErrors: 0,
      deadLetterFailures: 0,
    });
  });

  it('computes utilization from the weight held, not from the item counts', () => {
    const counters = new CoordinatorCounters('c', () => 1);
    const health = counters.health({ ...live, queuedWeight: 300, inFlightWeight: 450, capacity: 1_000 });
    expect(health.utilization).toBe(0.75);
    expect(health).toMatchObject({ queueSize: 3, inFlight: 2, queuedWeight: 300, inFlightWeight: 450 });
  });

  it('completes writes$ on complete', () => {
    const counters = new CoordinatorCounters('c', () => 4);
    let completed = false;
    counters.writes$.subscribe({ complete: () => (completed = true) });
    counters.complete();
    expect(completed).toBe(true);
  });
});
