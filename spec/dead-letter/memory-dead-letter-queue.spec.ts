import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import type { DeadLetterRecord } from '../../lib/dead-letter/dead-letter-record.js';

function record(n: number): DeadLetterRecord<number> {
  return {
    ts: 1_700_000_000_000 + n,
    coordinatorId: 'test',
    reason: 'retries_exhausted',
    error: { name: 'Error', message: `failure ${n}` },
    attempts: 5,
    items: [n, n + 1],
  };
}

describe('MemoryDeadLetterQueue', () => {
  it('starts empty', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    expect(queue.size).toBe(0);
    expect(queue.records).toEqual([]);
    expect(queue.replay()).toEqual([]);
  });

  it('stores records in order', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    queue.put(record(1));
    queue.put(record(2));
    expect(queue.size).toBe(2);
    expect(queue.records).toEqual([record(1), record(2)]);
  });

  it('put is synchronous and returns nothing', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    expect(queue.put(record(1))).toBeUndefined();
    expect(queue.size).toBe(1);
  });

  it('returns a snapshot from records', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    queue.put(record(1));
    const snapshot = queue.records;
    queue.put(record(2));
    expect(snapshot).toHaveLength(1);
    (snapshot as DeadLetterRecord<number>[]).length = 0;
    expect(queue.size).toBe(2);
  });

  it('replay removes and returns the oldest max records', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    for (let n = 1; n <= 5; n += 1) queue.put(record(n));
    expect(queue.replay(2)).toEqual([record(1), record(2)]);
    expect(queue.size).toBe(3);
    expect(queue.records).toEqual([record(3), record(4), record(5)]);
  });

  it('replay without max removes everything', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    for (let n = 1; n <= 3; n += 1) queue.put(record(n));
    expect(queue.replay()).toHaveLength(3);
    expect(queue.size).toBe(0);
  });

  it('replay with more than stored returns what there is; 0 returns nothing', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    queue.put(record(1));
    expect(queue.replay(0)).toEqual([]);
    expect(queue.replay(10)).toEqual([record(1)]);
    expect(queue.size).toBe(0);
  });

  it.each([
    [-1, RangeError, 'max must be an integer >= 0, found -1'],
    [1.5, RangeError, 'max must be an integer >= 0, found 1.5'],
    ['2', TypeError, 'max must be an integer, found string "2"'],
  ])('rejects replay(%p)', (max, Kind, message) => {
    const queue = new MemoryDeadLetterQueue<number>();
    queue.put(record(1));
    expect(() => queue.replay(max as number)).toThrow(Kind);
    expect(() => queue.replay(max as number)).toThrow(message);
    expect(queue.size).toBe(1);
  });

  it('keeps everything however many records arrive (lossless)', () => {
    const queue = new MemoryDeadLetterQueue<number>();
    for (let n = 0; n < 10_000; n += 1) queue.put(record(n));
    expect(queue.size).toBe(10_000);
    expect(queue.replay(1)[0]!.items).toEqual([0, 1]);
  });
});
