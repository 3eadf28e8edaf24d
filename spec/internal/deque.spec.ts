import { Deque } from '../../lib/internal/deque.js';

describe('Deque', () => {
  it('keeps first-in first-out order across wrap-around and growth', () => {
    const deque = new Deque<number>(4);
    const model: number[] = [];
    let next = 0;
    // Interleaved pushes and shifts move the head around the ring many times while it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 7) + 1; i++) {
        deque.push(next);
        model.push(next++);
      }
      for (let i = 0; i < round % 5; i++) expect(deque.shift()).toBe(model.shift());
      expect(deque.length).toBe(model.length);
      expect(deque.peek()).toBe(model[0]);
    }
    expect(deque.drain()).toEqual(model);
    expect(deque.length).toBe(0);
    expect(deque.shift()).toBeUndefined();
  });

  it('takes up to max items from the front, across the end of the ring', () => {
    const deque = new Deque<number>(4);
    for (let i = 0; i < 3; i++) deque.push(i);
    deque.shift();
    deque.shift(); // the head is now at the ring's third slot
    for (let i = 3; i < 6; i++) deque.push(i);
    expect(deque.take(3)).toEqual([2, 3, 4]);
    expect(deque.take(10)).toEqual([5]);
    expect(deque.take(1)).toEqual([]);
  });

  it('rounds a capacity that is not a power of two up, and still holds every item', () => {
    const deque = new Deque<string>(1000);
    for (let i = 0; i < 3000; i++) deque.push(`v${i}`);
    expect(deque.length).toBe(3000);
    expect(deque.take(2)).toEqual(['v0', 'v1']);
    deque.retain((v) => v.endsWith('9'));
    expect(deque.length).toBe(300);
    expect(deque.peek()).toBe('v9');
  });
});
