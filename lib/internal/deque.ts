/**
 * A growable ring buffer: O(1) push at the back and shift from the front, without the O(n)
 * `Array.prototype.shift` that a plain array queue pays on every take.
 *
 * The buffer's size is always a power of two, so that a position wraps with a bit mask: `push` and
 * `shift` sit on the coordinator's per-item path, where `%` costs an integer division per item.
 */
export class Deque<T> {
  private buffer: (T | undefined)[];
  private mask: number;
  private head = 0;
  private count = 0;

  constructor(initialCapacity = 16) {
    let size = 4;
    while (size < initialCapacity) size *= 2;
    this.buffer = new Array<T | undefined>(size);
    this.mask = size - 1;
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.buffer.length) this.grow();
    this.buffer[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Removes and returns the front item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.buffer[this.head];
    this.buffer[this.head] = undefined; // let the item be collected
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.buffer[this.head];
  }

  /** Removes up to `max` items from the front, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    // One loop over the buffer rather than `n` calls to `shift`: this runs once per batch taken.
    const buffer = this.buffer;
    const mask = this.mask;
    let at = this.head;
    for (let i = 0; i < n; i++) {
      out[i] = buffer[at] as T;
      buffer[at] = undefined; // let the item be collected
      at = (at + 1) & mask;
    }
    this.head = at;
    this.count -= n;
    return out;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    return this.take(this.count);
  }

  /** Keeps only the items for which `keep` is true, in order. */
  retain(keep: (item: T) => boolean): void {
    const kept = this.drain().filter(keep);
    for (const item of kept) this.push(item);
  }

  private grow(): void {
    const old = this.buffer;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.buffer = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
