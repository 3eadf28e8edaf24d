import { DeadLetterOutbox } from '../../lib/coordinator/dead-letter-outbox.js';
import type { DeadLetterQueue, DeadLetterRecord } from '../../lib/dead-letter/dead-letter-record.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { VirtualClock } from '../support/virtual-clock.js';

function setup(put: DeadLetterQueue<number>['put']) {
  const clock = new VirtualClock();
  const failures: { record: DeadLetterRecord<number>; error: unknown }[] = [];
  const outbox = new DeadLetterOutbox<number>('o', { put }, clock, (record, error) =>
    failures.push({ record, error }),
  );
  return { clock, outbox, failures };
}

describe('DeadLetterOutbox', () => {
  it('builds a record with the time, id, reason, error summary and attempts', () => {
    const stored: DeadLetterRecord<number>[] = [];
    const { outbox } = setup((record) => {
      stored.push(record);
    });
    outbox.put([1, 2], 'retries_exhausted', new TypeError('boom'), 5);
    expect(stored).toEqual([
      {
        ts: 0,
        coordinatorId: 'o',
        reason: 'retries_exhausted',
        error: { name: 'TypeError', message: 'boom' },
        attempts: 5,
        items: [1, 2],
      },
    ]);
    expect(outbox.pending).toBe(0);
  });

  it('keeps and reports a record whose put throws or rejects', async () => {
    const throwing = setup(() => {
      throw new Error('disk full');
    });
    throwing.outbox.put([1], 'shutdown', undefined, 0);
    expect(throwing.outbox.unsaved.map((r) => r.items)).toEqual([[1]]);
    expect(throwing.failures).toHaveLength(1);
    const rejecting = setup(() => Promise.reject(new Error('later')));
    rejecting.outbox.put([2], 'shutdown', undefined, 0);
    expect(rejecting.outbox.pending).toBe(1);
    await rejecting.clock.settle();
    expect(rejecting.outbox.pending).toBe(0);
    expect(rejecting.outbox.unsaved.map((r) => r.items)).toEqual([[2]]);
  });

  it('gives up on puts still pending at the deadline and keeps their records', async () => {
    const { clock, outbox, failures } = setup(() => new Promise<void>(() => undefined));
    outbox.put([3], 'shutdown', undefined, 0);
    const settled = outbox.settle(100, 100);
    await clock.advance(100);
    await settled;
    expect(outbox.unsaved.map((r) => r.items)).toEqual([[3]]);
    expect(isCoordinatorClosedError(failures[0]!.error)).toBe(true);
    expect(outbox.pending).toBe(0);
  });

  it('resolves settle as soon as the pending puts are stored', async () => {
    let store!: () => void;
    const { clock, outbox } = setup(() => new Promise<void>((resolve) => (store = resolve)));
    outbox.put([4], 'shutdown', undefined, 0);
    let done = false;
    void outbox.settle(1_000, 1_000).then(() => (done = true));
    store();
    await clock.settle();
    expect(done).toBe(true);
    expect(outbox.unsaved).toEqual([]);
  });
});
