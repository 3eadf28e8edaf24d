import { Observable, type Subscriber } from 'rxjs';

/**
 * @internal A minimal synchronous multicast for the coordinator's per-item streams (`depth$`).
 * Compared with a `Subject` it allocates nothing per emission (rxjs 7's `Subject.next` builds an
 * error-context closure each time), which makes an observed `depth$` several times cheaper per
 * `submit`. Subscribers are `rxjs` Subscribers, so a throwing observer is isolated by rxjs as usual.
 *
 * @example
 * ```ts
 * const depth = new Multicast<number>();
 * const depth$ = depth.asObservable(() => currentDepth); // current value on subscribe
 * if (depth.observed) depth.next(currentDepth);
 * ```
 */
export class Multicast<T> {
  // Copy-on-write, so that a subscriber leaving during an emission cannot make another one miss it.
  private subscribers: readonly Subscriber<T>[] = [];
  private completed = false;

  /** Whether anyone is subscribed. */
  get observed(): boolean {
    return this.subscribers.length > 0;
  }

  /** Delivers `value` to every subscriber, in subscription order. */
  next(value: T): void {
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i]!.next(value);
  }

  /** Completes every subscriber; later subscribers complete at once. Idempotent. */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  /** An Observable of the emissions; with `current`, each subscriber first gets `current()`. */
  asObservable(current?: () => T): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.completed) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers = [...this.subscribers, subscriber];
      if (current !== undefined) subscriber.next(current());
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      };
    });
  }
}
