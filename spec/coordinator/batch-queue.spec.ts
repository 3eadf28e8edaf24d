import { BatchQueue } from '../../lib/coordinator/batch-queue.js';
import { VirtualClock } from '../support/virtual-clock.js';

function setup(batchSize: number, flushIntervalMs: number) {
  const clock = new VirtualClock();
  let wakes = 0;
  const queue = new BatchQueue<number>(batchSize, flushIntervalMs, clock, 100, () => wakes++);
  return { clock, queue, wakes: () => wakes };
}

describe('BatchQueue', () => {
  it('hands out a full batch at once and wakes a worker when one is ready', () => {
    const { clock, queue, wakes } = setup(3, 100);
    queue.push(1);
    queue.push(2);
    expect(wakes()).toBe(0);
    expect(queue.takeBatch(clock.now())).toBeNull();
    queue.push(3);
    expect(wakes()).toBe(1);
    expect(queue.takeBatch(clock.now())).toEqual([1, 2, 3]);
    expect(queue.length).toBe(0);
  });

  it('wakes a worker once per batch queued, not on every push past the first batch', () => {
    const { clock, queue, wakes } = setup(3, 100);
    for (let i = 1; i <= 8; i++) queue.push(i);
    expect(wakes()).toBe(2); // at 3 and at 6 items: one for each sleeper a full batch is ready for
    expect(queue.takeBatch(clock.now())).toEqual([1, 2, 3]);
    expect(wakes()).toBe(3); // 5 left: the take wakes another worker for the next full batch
    expect(queue.takeBatch(clock.now())).toEqual([4, 5, 6]);
    queue.push(9); // 3 queued again after the takes: a batch is ready
    expect(wakes()).toBe(4);
    expect(queue.takeBatch(clock.now())).toEqual([7, 8, 9]);
  });

  it('wakes a worker on every push with flushIntervalMs 0', () => {
    const { queue, wakes } = setup(10, 0);
    for (let i = 0; i < 5; i++) queue.push(i);
    expect(wakes()).toBe(5);
  });

  it('holds a partial batch until flushIntervalMs after its oldest item, then wakes a worker', async () => {
    const { clock, queue, wakes } = setup(10, 100);
    queue.push(1);
    await clock.advance(60);
    queue.push(2);
    expect(queue.takeBatch(clock.now())).toBeNull();
    await clock.advance(39);
    expect(wakes()).toBe(0);
    await clock.advance(1);
    expect(wakes()).toBe(1);
    expect(queue.takeBatch(clock.now())).toEqual([1, 2]);
  });

  it('times the next partial batch from the first item after a take', async () => {
    const { clock, queue } = setup(2, 100);
    queue.push(1);
    queue.push(2);
    queue.push(3); // after the take below, the head
    await clock.advance(10);
    expect(queue.takeBatch(clock.now())).toEqual([1, 2]);
    await clock.advance(89);
    expect(queue.takeBatch(clock.now())).toBeNull();
    await clock.advance(1);
    expect(queue.takeBatch(clock.now())).toEqual([3]);
  });

  it('writes whatever is queued at once with flushIntervalMs 0 or while flushing everything', () => {
    const zero = setup(10, 0);
    zero.queue.push(1);
    expect(zero.wakes()).toBe(1);
    expect(zero.queue.takeBatch(zero.clock.now())).toEqual([1]);
    const flushing = setup(10, 1_000);
    flushing.queue.push(1);
    flushing.queue.flushAll = true;
    expect(flushing.queue.takeBatch(flushing.clock.now())).toEqual([1]);
  });

  it('evicts the oldest item with shift and takes whatever is queued with take', () => {
    const { queue } = setup(10, 100);
    for (const n of [1, 2, 3, 4]) queue.push(n);
    expect(queue.shift()).toBe(1);
    expect(queue.take(2)).toEqual([2, 3]);
    expect(queue.length).toBe(1);
  });

  it('stops its flush timer on close and hands out nothing after', async () => {
    const { clock, queue, wakes } = setup(10, 100);
    queue.push(1);
    expect(clock.pending).toBe(1);
    queue.close();
    expect(clock.pending).toBe(0);
    await clock.advance(200);
    expect(wakes()).toBe(0);
    expect(queue.takeBatch(clock.now())).toBeNull();
  });
});
