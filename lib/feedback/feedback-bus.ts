import { Observable, Subject, Subscription } from 'rxjs';
import { FeedbackListenerError } from '../errors/feedback-listener-error.js';
import { FeedbackFormatError, isFeedbackFormatError } from '../errors/feedback-format-error.js';
import { CAMEL_NAMES, validateFeedbackEvent } from './feedback-event.js';
import { assertFunction } from '../internal/validate.js';
import { describeValue } from '../internal/describe-value.js';
import type { FeedbackEvent } from './feedback-event.js';
import { isPromiseLike } from '../internal/is-promise-like.js';

/**
 * A function called with every published event. It may return a promise; the bus never awaits it,
 * and reports a rejection on `errors$`.
 *
 * @example
 * ```ts
 * const toLog: FeedbackListener = (event) => console.log(event.coordinatorId, event.level);
 * bus.subscribe(toLog);
 * ```
 */
export type FeedbackListener = (event: FeedbackEvent) => void | PromiseLike<void>;

/**
 * In-process fan-out of {@link FeedbackEvent}s from coordinators to producers, dashboards and
 * webhooks. Several coordinators may share one bus; events carry their `coordinatorId`.
 *
 * `publish` calls every listener synchronously, in subscription order, and never throws: a listener
 * that throws or rejects is reported on `errors$` and affects no one else, and a malformed event is
 * reported there (as a `FeedbackFormatError`) and delivered to no one. Async listeners are not
 * awaited, so a slow listener never delays the publisher (and so never a `submit`).
 *
 * @example
 * ```ts
 * const bus = new FeedbackBus();
 * bus.subscribe((event) => console.log(event.level));
 * bus.feedback$.pipe(filter((e) => e.level === 'hard')).subscribe(() => producer.pause());
 * bus.errors$.subscribe((error) => console.error(error));
 * ```
 */
export class FeedbackBus {
  /** Hot stream of every published event; no replay (use {@link latest} for the current state). */
  readonly feedback$: Observable<FeedbackEvent>;
  /**
   * Failures of listeners (throws and rejections), isolated from everything else, and malformed
   * events given to `publish` (`FeedbackFormatError`), which were not delivered.
   */
  readonly errors$: Observable<FeedbackListenerError | FeedbackFormatError>;

  // Copy-on-write, so that a listener unsubscribing during publish cannot skip another one.
  private listeners: readonly FeedbackListener[] = [];
  private readonly latestByCoordinator = new Map<string, FeedbackEvent>();
  private readonly errorsSubject = new Subject<FeedbackListenerError | FeedbackFormatError>();

  constructor() {
    this.errors$ = this.errorsSubject.asObservable();
    this.feedback$ = new Observable<FeedbackEvent>((subscriber) =>
      // RxJS subscribers already isolate a throwing `next` (it is reported through RxJS's
      // unhandled-error hook), so they can be called directly.
      this.addListener((event) => subscriber.next(event)),
    );
  }

  /** How many listeners and `feedback$` subscriptions are attached now. */
  get subscriberCount(): number {
    return this.listeners.length;
  }

  /**
   * Delivers `event` to every listener, synchronously. Never throws: an `event` that is not a valid
   * {@link FeedbackEvent} (`null`, a missing or wrong field) is reported on `errors$` as a
   * `FeedbackFormatError` and delivered to no one.
   *
   * @example
   * ```ts
   * bus.publish(createFeedbackEvent({ coordinatorId: 'db', level: 'soft', previousLevel: 'ok',
   *   queueSize: 5, capacity: 10, reason: 'soft_watermark', ts: Date.now() }));
   * ```
   */
  publish(event: FeedbackEvent): void {
    try {
      if (typeof event !== 'object' || event === null) {
        throw new FeedbackFormatError('', `expected a feedback event object, found ${describeValue(event)}`);
      }
      validateFeedbackEvent(event, CAMEL_NAMES);
    } catch (error) {
      this.emitError(
        isFeedbackFormatError(error)
          ? error
          : new FeedbackFormatError('', `expected a feedback event: ${String(error)}`),
      );
      return;
    }
    this.latestByCoordinator.set(event.coordinatorId, event);
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      let result: void | PromiseLike<void>;
      try {
        result = listeners[i]!(event);
      } catch (error) {
        this.report(event, error, false);
        continue;
      }
      if (isPromiseLike(result)) {
        this.watch(result, event);
      }
    }
  }

  /**
   * Adds a listener; unsubscribe the returned subscription to remove it.
   *
   * @throws TypeError when `listener` is not a function.
   * @example
   * ```ts
   * const subscription = bus.subscribe(async (event) => { await metrics.record(event); });
   * subscription.unsubscribe();
   * ```
   */
  subscribe(listener: FeedbackListener): Subscription {
    assertFunction('listener', listener);
    return this.addListener(listener);
  }

  /**
   * The last event published for `coordinatorId`, or `undefined` if none was.
   *
   * @example
   * ```ts
   * const level = bus.latest('orders')?.level ?? 'ok';
   * ```
   */
  latest(coordinatorId: string): FeedbackEvent | undefined {
    return this.latestByCoordinator.get(coordinatorId);
  }

  /**
   * Forgets the last event of `coordinatorId` (a coordinator does this when it stops, so that
   * `latest` and `latestAll` no longer report a level for it).
   *
   * @example
   * ```ts
   * bus.forget('orders');
   * bus.latest('orders'); // undefined
   * ```
   */
  forget(coordinatorId: string): void {
    this.latestByCoordinator.delete(coordinatorId);
  }

  /** The coordinators this bus has seen events from, with their last event each. */
  latestAll(): ReadonlyMap<string, FeedbackEvent> {
    return this.latestByCoordinator;
  }

  private addListener(listener: FeedbackListener): Subscription {
    this.listeners = [...this.listeners, listener];
    return new Subscription(() => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0)
        this.listeners = [...this.listeners.slice(0, index), ...this.listeners.slice(index + 1)];
    });
  }

  private watch(result: PromiseLike<void>, event: FeedbackEvent): void {
    try {
      result.then(undefined, (error: unknown) => this.report(event, error, true));
    } catch (error) {
      // A hostile thenable whose `then` throws is still only this listener's failure.
      this.report(event, error, true);
    }
  }

  private report(event: FeedbackEvent, cause: unknown, async: boolean): void {
    this.emitError(new FeedbackListenerError(event, cause, async));
  }

  private emitError(error: FeedbackListenerError | FeedbackFormatError): void {
    try {
      this.errorsSubject.next(error);
    } catch {
      // An errors$ subscriber that throws is reported by RxJS itself; never let it reach publish.
    }
  }
}

// On a global registry symbol rather than in a module variable, so that the ESM and the CommonJS
// copy of the library loaded in one process (an `import` here, a `require` in a dependency) share
// one default bus.
const DEFAULT_BUS = Symbol.for('rxjs-backpressure.default-feedback-bus');

/**
 * The process-wide default bus, created on first use. Coordinators publish here unless given
 * another bus (or `null`). It is one bus per process (per JavaScript realm), even when both the ESM
 * and the CommonJS build of this library are loaded.
 *
 * @example
 * ```ts
 * feedbackBus().subscribe((event) => console.log(event.coordinatorId, event.level));
 * ```
 */
export function feedbackBus(): FeedbackBus {
  const global = globalThis as unknown as Record<symbol, FeedbackBus | undefined>;
  return (global[DEFAULT_BUS] ??= new FeedbackBus());
}
