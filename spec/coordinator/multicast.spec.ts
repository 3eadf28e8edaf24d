import { Multicast } from '../../lib/coordinator/multicast.js';

describe('Multicast', () => {
  it('gives each subscriber the current value, then every emission, in order', () => {
    const multicast = new Multicast<number>();
    let current = 1;
    const stream$ = multicast.asObservable(() => current);
    const a: number[] = [];
    const b: number[] = [];
    stream$.subscribe((v) => a.push(v));
    current = 2;
    multicast.next(2);
    stream$.subscribe((v) => b.push(v));
    multicast.next(3);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([2, 3]);
    expect(multicast.observed).toBe(true);
  });

  it('stops delivering after unsubscribe, even to a subscriber leaving during an emission', () => {
    const multicast = new Multicast<number>();
    const seen: string[] = [];
    const first = multicast.asObservable().subscribe((v) => {
      seen.push(`first ${v}`);
      second.unsubscribe();
    });
    const second = multicast.asObservable().subscribe((v) => seen.push(`second ${v}`));
    multicast.next(1);
    multicast.next(2);
    first.unsubscribe();
    multicast.next(3);
    expect(seen).toEqual(['first 1', 'first 2']);
    expect(multicast.observed).toBe(false);
  });

  it('completes current and later subscribers', () => {
    const multicast = new Multicast<number>();
    let completed = 0;
    multicast.asObservable(() => 0).subscribe({ complete: () => completed++ });
    multicast.complete();
    multicast.complete();
    const late: number[] = [];
    multicast.asObservable(() => 0).subscribe({ next: (v) => late.push(v), complete: () => completed++ });
    expect(completed).toBe(2);
    expect(late).toEqual([]);
  });
});
