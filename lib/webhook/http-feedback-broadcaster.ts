import { Subject, Subscription, isObservable, type Observable } from 'rxjs';
import { feedbackBus, type FeedbackBus } from '../feedback/feedback-bus.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { fromWire, toWire } from '../feedback/wire.js';
import { describeValue } from '../internal/describe-value.js';
import { AlreadyStartedError } from '../errors/already-started-error.js';
import { WebhookDeliveryError, type WebhookFailureKind } from '../errors/webhook-delivery-error.js';
import {
  assertDelayMs,
  assertFunction,
  assertInteger,
  assertNonEmptyString,
  clampDelayMs,
} from '../internal/validate.js';
import { FEEDBACK_SIGNATURE_HEADER, importHmacKey, signWithKey } from './feedback-signature.js';
import { onAbort } from '../internal/abort-listeners.js';
import { abortableSleep } from '../internal/abortable-sleep.js';
import { assertHeaders } from '../internal/headers.js';
import { raceAbort } from '../internal/race-abort.js';
import { reportUnhandledError } from '../internal/report-unhandled-error.js';
import { parseRetryAfter } from '../internal/retry-after.js';
import { redactUrl, resolveHttpUrl } from '../internal/url.js';

/**
 * Options of {@link HttpFeedbackBroadcaster}.
 *
 * @example
 * ```ts
 * const options: HttpFeedbackBroadcasterOptions = {
 *   url: 'https://producers.internal/feedback', timeoutMs: 1_000, maxRetries: 5, secret,
 * };
 * ```
 */
export interface HttpFeedbackBroadcasterOptions {
  /** The endpoint that receives the POSTs; http or https (relative URLs resolve against the page in browsers). */
  readonly url: string | URL;
  /**
   * How long one attempt may take, from sending to response headers, in ms; at most 2147483647
   * (the longest timer delay). @default 2500
   */
  readonly timeoutMs?: number;
  /** How many attempts in all (1 = no retry); an integer `>= 1`. @default 3 */
  readonly maxRetries?: number;
  /**
   * The wait before the second attempt, in ms; it doubles for each further one, up to 2147483647
   * (the longest timer delay, also the largest value accepted). @default 500
   */
  readonly backoffMs?: number;
  /**
   * The longest wait a `Retry-After` header (on 408, 429 or 5xx) can impose, in ms; a longer one is
   * cut to this, so one answer can never stall a coordinator's webhook for long. At most
   * 2147483647. @default 30000
   */
  readonly maxRetryAfterMs?: number;
  /** With a secret, every request is signed in the `x-feedback-signature` header. @default undefined */
  readonly secret?: string;
  /** Extra headers sent with every request (e.g. an API key). They cannot replace `content-type` or the signature. @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The `fetch` to use (a test double, or one with a proxy agent). One that ignores its `signal`
   * cannot hold a delivery up: on a timeout or `stop()` the attempt ends anyway, and a response
   * that comes later is discarded. @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
}

/**
 * A delivered event, as reported on {@link HttpFeedbackBroadcaster.delivered$}.
 *
 * @example
 * ```ts
 * broadcaster.delivered$.subscribe(({ attempts, durationMs }) => metrics.timing('webhook', durationMs, { attempts }));
 * ```
 */
export interface FeedbackDelivery {
  readonly event: FeedbackEvent;
  /** How many requests it took (1 when the first succeeded). */
  readonly attempts: number;
  /** The 2xx status that came back. */
  readonly status: number;
  /** From the first attempt to the successful response, in ms. */
  readonly durationMs: number;
}

/**
 * An event that could not be delivered, as reported on {@link HttpFeedbackBroadcaster.failed$}.
 *
 * @example
 * ```ts
 * broadcaster.failed$.subscribe(({ event, error, superseded }) => {
 *   if (!superseded) logger.warn({ coordinator: event.coordinatorId, kind: error.kind }, error.message);
 * });
 * ```
 */
export interface FeedbackDeliveryFailure {
  readonly event: FeedbackEvent;
  /** How many requests were made. */
  readonly attempts: number;
  /** The HTTP status of the last attempt, or `null` when none came back. */
  readonly status: number | null;
  /** What went wrong on the last attempt. */
  readonly error: WebhookDeliveryError;
  /**
   * `true` when retries stopped early because a newer event of the same coordinator was waiting
   * (which is sent next instead: stale levels are worthless).
   */
  readonly superseded: boolean;
  /** From the first attempt to giving up, in ms. */
  readonly durationMs: number;
}

/** One coordinator's lane: at most one delivery in flight and one newest event waiting. */
interface Lane {
  pending: FeedbackEvent | undefined;
}

type AttemptOutcome =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      readonly kind: WebhookFailureKind;
      readonly status: number | null;
      readonly retryable: boolean;
      readonly retryAfterMs: number | undefined;
      readonly cause: unknown;
    };

const TIMEOUT = Symbol('timeout');

/**
 * Posts feedback events to an HTTP endpoint as `toWire(event)` JSON, for producers in other processes
 * (see `createFeedbackReceiver` in `rxjs-backpressure/node`). Universal: global `fetch` and WebCrypto
 * only, so it runs in browsers too.
 *
 * Delivery: an attempt succeeds on a 2xx response. Network errors, timeouts, 5xx, 408 and 429 are
 * retried, up to `maxRetries` attempts in all, after `backoffMs`, then twice that, and so on, or
 * after what `Retry-After` says (capped at `maxRetryAfterMs`). Other statuses are not retried, and
 * redirects are not followed (`redirect: 'manual'`): a signed request must not be replayed to
 * another host.
 *
 * Bounds (lossy on purpose): after {@link start} it never blocks the bus. Each coordinator has at
 * most one delivery in flight and one pending event: a newer event replaces the pending one (counted
 * in {@link coalesced}), and a delivery that is failing gives up its retries when a newer event is
 * waiting. So memory is bounded by the number of coordinators, and the last level published is the
 * last one sent.
 *
 * @example
 * ```ts
 * const broadcaster = new HttpFeedbackBroadcaster({
 *   url: 'https://producers.internal/feedback',
 *   secret: process.env.FEEDBACK_SECRET,
 * });
 * broadcaster.failed$.subscribe(({ error }) => console.warn(error.message));
 * broadcaster.start(); // forwards every event of feedbackBus()
 * // ... later
 * broadcaster.stop();
 * ```
 */
export class HttpFeedbackBroadcaster {
  /**
   * Every delivered event, with its attempts and status. Hot, no replay.
   *
   * @example
   * ```ts
   * broadcaster.delivered$.subscribe(({ event, status }) => console.log(event.level, status));
   * ```
   */
  readonly delivered$: Observable<FeedbackDelivery>;
  /**
   * Every event that could not be delivered, with the reason. Hot, no replay.
   *
   * @example
   * ```ts
   * broadcaster.failed$.subscribe(({ error }) => console.warn(error.kind, error.status));
   * ```
   */
  readonly failed$: Observable<FeedbackDeliveryFailure>;

  private readonly url: URL;
  private readonly displayUrl: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly fetchFn: typeof fetch;
  private readonly key: Promise<CryptoKey> | undefined;
  private readonly deliveredSubject = new Subject<FeedbackDelivery>();
  private readonly failedSubject = new Subject<FeedbackDeliveryFailure>();
  private readonly lanes = new Map<string, Lane>();
  // Replaced on every stop(), so that requests started after it are not born aborted.
  private stopController = new AbortController();
  private subscription: Subscription | undefined;
  private source: unknown;
  private coalescedCount = 0;
  private inFlightCount = 0;

  /**
   * @throws TypeError / RangeError naming the option, for a bad option or when `fetch` is missing.
   * @example
   * ```ts
   * const broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:8080/feedback' });
   * ```
   */
  constructor(options: HttpFeedbackBroadcasterOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object with a url, found ${describeValue(options)}`);
    }
    const {
      url,
      timeoutMs = 2500,
      maxRetries = 3,
      backoffMs = 500,
      maxRetryAfterMs = 30_000,
      secret,
      headers = {},
      fetch: fetchOption,
    } = options;
    this.url = resolveHttpUrl('url', url);
    this.displayUrl = redactUrl(this.url);
    this.timeoutMs = assertDelayMs('timeoutMs', timeoutMs, { positive: true });
    this.maxRetries = assertInteger('maxRetries', maxRetries, 1);
    this.backoffMs = assertDelayMs('backoffMs', backoffMs);
    this.maxRetryAfterMs = assertDelayMs('maxRetryAfterMs', maxRetryAfterMs);
    this.headers = assertHeaders('headers', headers);
    if (fetchOption !== undefined) {
      assertFunction('fetch', fetchOption);
      this.fetchFn = fetchOption;
    } else {
      if (typeof globalThis.fetch !== 'function') {
        throw new TypeError('fetch must be given: expected a global fetch in this runtime, found none');
      }
      // Bound: browsers throw "Illegal invocation" when fetch is called on another `this`.
      this.fetchFn = globalThis.fetch.bind(globalThis);
    }
    if (secret !== undefined) {
      assertNonEmptyString('secret', secret);
      this.key = importHmacKey(secret);
      // Reported by each delivery that awaits it; never an unhandled rejection meanwhile.
      this.key.catch(() => undefined);
    }
    this.delivered$ = this.deliveredSubject.asObservable();
    this.failed$ = this.failedSubject.asObservable();
  }

  /**
   * How many pending events were replaced by a newer one of the same coordinator before being sent.
   *
   * @example
   * ```ts
   * metrics.gauge('webhook_coalesced_total', broadcaster.coalesced);
   * ```
   */
  get coalesced(): number {
    return this.coalescedCount;
  }

  /**
   * How many deliveries (one per coordinator, plus direct `broadcastOne` calls) are in progress.
   *
   * @example
   * ```ts
   * if (broadcaster.inFlight > 0) console.log('a webhook request is on its way');
   * ```
   */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * How many events are waiting for their coordinator's delivery in flight (at most one each).
   *
   * @example
   * ```ts
   * metrics.gauge('webhook_pending', broadcaster.pending);
   * ```
   */
  get pending(): number {
    let count = 0;
    for (const lane of this.lanes.values()) if (lane.pending !== undefined) count++;
    return count;
  }

  /**
   * Whether {@link start} subscribed, {@link stop} has not been called since, and the source has not
   * ended (errored or completed).
   *
   * @example
   * ```ts
   * if (!broadcaster.started) broadcaster.start(bus);
   * ```
   */
  get started(): boolean {
    return this.subscription !== undefined;
  }

  /**
   * Starts forwarding every event of `source` (a bus, or any Observable of events such as
   * `coordinator.feedback$`). The listener only records the event and returns, so the publisher is
   * never delayed. Calling it again with the same source does nothing.
   *
   * When an Observable source errors or completes, the broadcaster stops listening (`started`
   * turns `false`; deliveries already under way finish) and can be started again. A source's error
   * is reported like an observer's error in RxJS: to `config.onUnhandledError` when set, otherwise
   * thrown asynchronously (an uncaught exception).
   *
   * @throws {@link AlreadyStartedError} when already started on another source (call `stop()`
   *   first); TypeError when
   *   `source` is neither a bus nor an Observable.
   * @example
   * ```ts
   * broadcaster.start(coordinator.feedback$);
   * ```
   */
  start(source: FeedbackBus | Observable<FeedbackEvent> = feedbackBus()): this {
    if (this.subscription !== undefined) {
      if (this.source === source) return this;
      throw new AlreadyStartedError('HttpFeedbackBroadcaster');
    }
    if (typeof (source as { subscribe?: unknown } | null)?.subscribe !== 'function') {
      throw new TypeError(
        `source must be a FeedbackBus or an Observable of feedback events, found ${describeValue(source)}`,
      );
    }
    const listener = (event: FeedbackEvent): void => this.enqueue(event);
    if (!isObservable(source)) {
      this.source = source;
      this.subscription = source.subscribe(listener);
      return this;
    }
    let ended = false;
    // Created first, so that a source ending during subscribe() finds it.
    const subscription = new Subscription();
    const end = (): void => {
      ended = true;
      // Only if it is still this subscription: the source may end after a stop() and a new start().
      if (this.subscription === subscription) {
        this.subscription = undefined;
        this.source = undefined;
      }
    };
    subscription.add(
      source.subscribe({
        next: listener,
        error: (error: unknown) => {
          end();
          reportUnhandledError(error);
        },
        complete: end,
      }),
    );
    // A source that ended during subscribe() left nothing to listen to.
    if (!ended) {
      this.source = source;
      this.subscription = subscription;
    }
    return this;
  }

  /**
   * Unsubscribes from the source, aborts every request in flight (those deliveries fail with kind
   * `'aborted'`), and drops pending events. The broadcaster can be started again afterwards.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => broadcaster.stop());
   * ```
   */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.source = undefined;
    this.lanes.clear();
    const controller = this.stopController;
    this.stopController = new AbortController();
    controller.abort();
  }

  /**
   * Delivers one event now, with retries, outside the per-coordinator coalescing (and reported on
   * `delivered$` / `failed$` like the others). Delivery failures resolve `false`. The promise
   * rejects, and nothing is sent, only when `event` is not a valid event: with a TypeError when it
   * is not an object, with the `FeedbackFormatError` of `fromWire` naming the first wrong field
   * otherwise (say, a `level` that is not one of the three).
   *
   * @returns `true` only when a 2xx response came back.
   * @example
   * ```ts
   * const ok = await broadcaster.broadcastOne(event);
   * if (!ok) console.warn('feedback not delivered');
   * ```
   */
  // Async, so that the checks reject rather than throw; the delivery still starts synchronously.
  async broadcastOne(event: FeedbackEvent): Promise<boolean> {
    if (typeof event !== 'object' || event === null) {
      throw new TypeError(`event must be a FeedbackEvent, found ${describeValue(event)}`);
    }
    return this.deliver(event, wireBody(event), () => false);
  }

  private enqueue(event: FeedbackEvent): void {
    const id = event.coordinatorId;
    const lane = this.lanes.get(id);
    if (lane !== undefined) {
      if (lane.pending !== undefined) this.coalescedCount++;
      lane.pending = event;
      return;
    }
    const fresh: Lane = { pending: event };
    this.lanes.set(id, fresh);
    // Start after the publisher returns: even building the first request must not delay it, and
    // the rest of a synchronous burst coalesces into the lane meanwhile.
    queueMicrotask(() => void this.drain(id, fresh).catch(reportUnhandledError));
  }

  private async drain(id: string, lane: Lane): Promise<void> {
    const isCurrent = (): boolean => this.lanes.get(id) === lane;
    while (isCurrent() && lane.pending !== undefined) {
      const event = lane.pending;
      lane.pending = undefined;
      let body: string;
      try {
        body = wireBody(event);
      } catch (error) {
        // A malformed event (not built by createFeedbackEvent) published on the source: nothing
        // to send; reported like a throwing observer, and the lane goes on with the next one.
        reportUnhandledError(error);
        continue;
      }
      await this.deliver(event, body, () => lane.pending !== undefined);
    }
    if (isCurrent()) this.lanes.delete(id);
  }

  /** Never rejects: every outcome is reported on `delivered$` or `failed$`. */
  private async deliver(event: FeedbackEvent, body: string, superseded: () => boolean): Promise<boolean> {
    const stopSignal = this.stopController.signal;
    const started = Date.now();
    this.inFlightCount++;
    try {
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.attempt(body, stopSignal);
        if (outcome.ok) {
          this.deliveredSubject.next({
            event,
            attempts: attempt,
            status: outcome.status,
            durationMs: Date.now() - started,
          });
          return true;
        }
        let kind = outcome.kind;
        let isSuperseded = false;
        let giveUp = !outcome.retryable || attempt >= this.maxRetries;
        if (!giveUp) {
          isSuperseded = superseded();
          giveUp = isSuperseded;
        }
        if (!giveUp) {
          // Both bounded by the longest timer delay: past it, a timer fires after 1 ms.
          const wait =
            outcome.retryAfterMs === undefined
              ? clampDelayMs(this.backoffMs * 2 ** (attempt - 1))
              : Math.min(outcome.retryAfterMs, this.maxRetryAfterMs);
          if (!(await abortableSleep(wait, stopSignal))) {
            kind = 'aborted';
            giveUp = true;
          } else {
            isSuperseded = superseded();
            giveUp = isSuperseded;
          }
        }
        if (giveUp) {
          this.failedSubject.next({
            event,
            attempts: attempt,
            status: outcome.status,
            error: new WebhookDeliveryError(kind, outcome.status, attempt, this.displayUrl, outcome.cause),
            superseded: isSuperseded,
            durationMs: Date.now() - started,
          });
          return false;
        }
      }
    } finally {
      this.inFlightCount--;
    }
  }

  private async attempt(body: string, stopSignal: AbortSignal): Promise<AttemptOutcome> {
    if (stopSignal.aborted) return failure('aborted', null, false, undefined);
    // One controller for the whole attempt, listening to stop() from the start: a stop() while the
    // request is being signed must abort it as surely as one while it is in flight.
    const controller = new AbortController();
    // Shared by every delivery in flight: one listener on it, however many there are.
    const stopListening = onAbort(stopSignal, () => controller.abort());
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const headers = new Headers(this.headers);
      headers.set('content-type', 'application/json');
      if (this.key !== undefined) {
        try {
          headers.set(FEEDBACK_SIGNATURE_HEADER, await signWithKey(await this.key, body, Date.now()));
        } catch (error) {
          // No WebCrypto (e.g. a browser page not served over https), or a key it refused: nothing
          // was sent, and retrying cannot help.
          return failure('signing', null, false, error);
        }
        if (controller.signal.aborted) return failure('aborted', null, false, undefined);
      }
      timer = setTimeout(() => controller.abort(TIMEOUT), this.timeoutMs);
      const fetchFn = this.fetchFn;
      // Raced against the controller, so that a fetch ignoring its signal cannot hold the lane.
      const response = await raceAbort(
        fetchFn(this.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: controller.signal,
        }),
        controller.signal,
        cancelBody,
      );
      // The body is not needed; cancelling frees the connection at once.
      cancelBody(response);
      const { status } = response;
      if (status >= 200 && status < 300) return { ok: true, status };
      if (response.type === 'opaqueredirect' || (status >= 300 && status < 400) || status === 0) {
        return failure('redirect', status, false, undefined);
      }
      const retryable = status === 408 || status === 429 || status >= 500;
      const retryAfter = retryable
        ? parseRetryAfter(response.headers.get('retry-after'), Date.now())
        : undefined;
      return { ok: false, kind: 'status', status, retryable, retryAfterMs: retryAfter, cause: undefined };
    } catch (error) {
      if (controller.signal.aborted) {
        return controller.signal.reason === TIMEOUT
          ? failure('timeout', null, true, undefined)
          : failure('aborted', null, false, undefined);
      }
      // fetch rejects (with a TypeError, possibly from another realm) for DNS failures, refused and
      // reset connections: all worth another attempt.
      return failure('network', null, true, error);
    } finally {
      clearTimeout(timer);
      stopListening();
    }
  }
}

/** The request body: `toWire(event)` as JSON, once `fromWire` accepts it (else it throws). */
function wireBody(event: FeedbackEvent): string {
  const wire = toWire(event);
  fromWire(wire);
  return JSON.stringify(wire);
}

function cancelBody(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

function failure(
  kind: WebhookFailureKind,
  status: number | null,
  retryable: boolean,
  cause: unknown,
): AttemptOutcome {
  return { ok: false, kind, status, retryable, retryAfterMs: undefined, cause };
}
