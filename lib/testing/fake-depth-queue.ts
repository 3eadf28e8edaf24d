import { BehaviorSubject, type Observable } from 'rxjs';

/**
 * A stand-in for a queue whose depth a test sets by hand: it has the `capacity` and `depth$` that
 * level operators and pacing code read, and nothing else. `depth$` emits the current depth on
 * subscribe and then each change, synchronously, like `BoundedQueue.depth$`.
 *
 * @example
 * ```ts
 * const queue = new FakeDepthQueue(10);
 * const levels: string[] = [];
 * queue.depth$.pipe(toBackpressureLevel(queue.capacity)).subscribe((l) => levels.push(l));
 * queue.setDepth(8); // levels: ['ok', 'hard']
 * ```
 */
export class FakeDepthQueue {
  /** The current depth on subscribe, then every change. */
  readonly depth$: Observable<number>;
  private readonly depthSubject: BehaviorSubject<number>;

  constructor(
    /** The capacity level operators divide by. */
    readonly capacity: number,
    initialDepth = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be an integer >= 1, found ${String(capacity)}`);
    }
    this.depthSubject = new BehaviorSubject(checkDepth(initialDepth, capacity));
    this.depth$ = this.depthSubject.asObservable();
  }

  /** The current depth. */
  get size(): number {
    return this.depthSubject.value;
  }

  /** Sets the depth (an integer within `[0, capacity]`). */
  setDepth(depth: number): void {
    this.depthSubject.next(checkDepth(depth, this.capacity));
  }

  /** Plays a sequence of depths, one after another, synchronously. */
  play(depths: Iterable<number>): void {
    for (const depth of depths) this.setDepth(depth);
  }

  /** Completes `depth$`. */
  complete(): void {
    this.depthSubject.complete();
  }
}

function checkDepth(depth: number, capacity: number): number {
  if (!Number.isInteger(depth) || depth < 0 || depth > capacity) {
    throw new RangeError(`depth must be an integer within [0, ${capacity}], found ${String(depth)}`);
  }
  return depth;
}
