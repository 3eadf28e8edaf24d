import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { fromWire } from '../feedback/wire.js';
import { FeedbackStreamError } from '../errors/feedback-stream-error.js';
import { FeedbackFormatError } from '../errors/feedback-format-error.js';
import { describeValue } from '../internal/describe-value.js';
import { assertDelayMs, assertFunction } from '../internal/validate.js';
import { assertHeaders } from '../internal/headers.js';
import { SseParser } from '../internal/sse-parser.js';
import { redactUrl, resolveHttpUrl } from '../internal/url.js';
import { messageOf } from '../internal/message-of.js';

/**
 * The part of the WHATWG `EventSource` that {@link fromFeedbackEvents} uses, so that a polyfill or a
 * test double can stand in.
 *
 * @example
 * ```ts
 * const source: EventSourceLike = new EventSourcePolyfill('/feedback/events');
 * ```
 */
export interface EventSourceLike {
  readonly readyState: number;
  // The handlers are declared through a method's type so that their parameter is compared
  // bivariantly: the platform's `EventSource`, whose handlers take a `MessageEvent` / `Event`, must
  // be assignable under strictFunctionTypes.
  onmessage: { handle(event: { readonly data: unknown }): unknown }['handle'] | null;
  onerror: { handle(event: unknown): unknown }['handle'] | null;
  close(): void;
}

/**
 * A constructor of {@link EventSourceLike}s, such as the global `EventSource` or a polyfill's.
 *
 * @example
 * ```ts
 * fromFeedbackEvents(url, { EventSource: EventSourcePolyfill as EventSourceConstructor });
 * ```
 */
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/**
 * Options of {@link fromFeedbackEvents}.
 *
 * @example
 * ```ts
 * fromFeedbackEvents(url, { reconnectMs: 5_000, fetch, headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export interface FromFeedbackEventsOptions {
  /**
   * The wait before reconnecting after the stream drops or a connection fails, in ms; at most
   * 2147483647 (the longest timer delay). @default 1000
   */
  readonly reconnectMs?: number;
  /**
   * Fetch reader only: how long the connection may stay silent, in ms, before it counts as dead
   * and is replaced by a new one (after `reconnectMs`). Every chunk received, heartbeats included,
   * restarts the count, as does connecting; so it must exceed the server's heartbeat interval
   * (15 s for `serveFeedbackEvents`). `0` turns the watchdog off; at most 2147483647. A connection
   * can die without either end noticing (a NAT or proxy dropping it, a peer that vanished): without
   * this the stream would wait forever. @default 45000
   */
  readonly idleTimeoutMs?: number;
  /**
   * Read the stream with this `fetch` (instead of `EventSource`), e.g. to send headers or use a
   * proxy. @default globalThis.fetch, used only when there is no global EventSource
   */
  readonly fetch?: typeof fetch;
  /** Use this `EventSource` implementation. @default globalThis.EventSource, unless `fetch` or `headers` is given */
  readonly EventSource?: EventSourceConstructor;
  /** Headers to send; given any, the fetch reader is used (an `EventSource` cannot send them). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Schedules the reconnection waits and the idle watchdog. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

const EVENT_SOURCE_CLOSED = 2;

/**
 * Reads a server-sent-events stream of feedback (such as `serveFeedbackEvents` in
 * `rxjs-backpressure/node` serves) as an Observable of {@link FeedbackEvent}s, each validated with
 * `fromWire`. Universal: it uses `EventSource` where the runtime has one, and otherwise reads the
 * stream with `fetch` and parses it itself (Node 20 has no EventSource).
 *
 * Cold and lazy: nothing is checked against the runtime until subscription, and each subscription
 * opens its own connection, closed on unsubscribe. Without an `EventSource` or a `fetch` (global or
 * given), subscribing errors with a TypeError; calling does not throw. When the stream drops, a
 * connection fails, or the server answers 408, 429 or 5xx, it reconnects after `reconnectMs`, for
 * as long as it is subscribed, sending `Last-Event-ID` with the id of the last event received.
 * `serveFeedbackEvents` answers every connection with the latest event of each coordinator it
 * knows (only those newer than `Last-Event-ID` on a reconnection), so the current state arrives at
 * once and a reconnecting reader catches up on what changed meanwhile. Unlike a bare `EventSource`,
 * which gives up for good on one 5xx or a wrong content type, this keeps reconnecting.
 *
 * It errors with `FeedbackStreamError` for a status other than those (or a content type that is not
 * `text/event-stream`; fetch reader only: an `EventSource` does not say why it failed, so it is
 * retried), and with `FeedbackFormatError` for a message that is not a valid event. Lossless while
 * connected, bounded: a line, or the data of one message, longer than 1 MiB (1,048,576 characters)
 * ends the stream with `FeedbackStreamError` (fetch reader; an `EventSource` applies its own
 * limits). The fetch reader also reconnects when nothing at all arrived for `idleTimeoutMs` (a
 * connection that died silently), so keep the server's heartbeats on.
 *
 * @example
 * ```ts
 * fromFeedbackEvents('https://store.internal/feedback/events')
 *   .pipe(map((event) => event.level))
 *   .subscribe((level) => (badge.textContent = level));
 * ```
 */
export function fromFeedbackEvents(
  url: string | URL,
  options: FromFeedbackEventsOptions = {},
): Observable<FeedbackEvent> {
  const endpoint = resolveHttpUrl('url', url);
  const {
    reconnectMs = 1000,
    idleTimeoutMs = 45_000,
    fetch: fetchOption,
    EventSource: eventSourceOption,
    headers: headersOption = {},
    scheduler = asyncScheduler,
  } = options;
  assertDelayMs('reconnectMs', reconnectMs);
  assertDelayMs('idleTimeoutMs', idleTimeoutMs);
  const headers = assertHeaders('headers', headersOption);
  if (fetchOption !== undefined) assertFunction('fetch', fetchOption);
  if (eventSourceOption !== undefined) assertFunction('EventSource', eventSourceOption);
  const displayUrl = redactUrl(endpoint);

  return new Observable<FeedbackEvent>((subscriber) => {
    // Resolved on subscribe, not at call: building the Observable must not throw where neither
    // EventSource nor fetch exists (jsdom, older runtimes); subscribing errors instead, as an
    // Observable should, and a polyfill installed in between is used.
    const reader = chooseReader(fetchOption, eventSourceOption, Object.keys(headers).length > 0);
    if (reader instanceof TypeError) {
      subscriber.error(reader);
      return undefined;
    }
    const { EventSourceImpl, fetchFn } = reader;
    let closed = false;
    // The id of the last event received, sent on reconnection (as an EventSource does) so that the
    // server can skip what this reader already has.
    let lastEventId = '';
    let reconnect: Subscription | undefined;
    let disconnect: (() => void) | undefined;

    const deliver = (data: string): boolean => {
      let event: FeedbackEvent;
      try {
        let payload: unknown;
        try {
          payload = JSON.parse(data);
        } catch (error) {
          throw new FeedbackFormatError(
            '',
            `expected JSON, found ${describeValue(data)} (${messageOf(error)})`,
          );
        }
        event = fromWire(payload);
      } catch (error) {
        fail(error);
        return false;
      }
      subscriber.next(event);
      return !closed;
    };
    const fail = (error: unknown): void => {
      if (closed) return;
      closed = true;
      disconnect?.();
      subscriber.error(error);
    };
    const scheduleReconnect = (): void => {
      if (closed) return;
      disconnect?.();
      disconnect = undefined;
      reconnect = scheduler.schedule(() => {
        reconnect = undefined;
        connect();
      }, reconnectMs);
    };

    const connectEventSource = (Impl: EventSourceConstructor): void => {
      const source = new Impl(endpoint.href);
      disconnect = () => {
        source.onmessage = null;
        source.onerror = null;
        source.close();
      };
      source.onmessage = (message) => {
        if (typeof message.data === 'string') deliver(message.data);
      };
      source.onerror = () => {
        // An open EventSource reconnects by itself; once CLOSED it has given up, so start over.
        if (source.readyState === EVENT_SOURCE_CLOSED) scheduleReconnect();
      };
    };

    const connectFetch = (doFetch: typeof fetch): void => {
      const controller = new AbortController();
      let bodyReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
      let watchdog: Subscription | undefined;
      let lastActivity = scheduler.now();
      // Once this connection was given up (dropped, replaced or unsubscribed), nothing it still
      // delivers counts: a fetch that ignores its signal may resolve long after.
      const stale = (): boolean => closed || controller.signal.aborted;
      disconnect = () => {
        watchdog?.unsubscribe();
        watchdog = undefined;
        controller.abort();
        // Some fetch implementations keep the connection after an abort mid-body; cancel it too.
        bodyReader?.cancel().catch(() => undefined);
      };
      // Checks for silence at most once per idleTimeoutMs, rather than restarting a timer per chunk.
      const watch = (delay: number): void => {
        watchdog = scheduler.schedule(() => {
          watchdog = undefined;
          if (stale()) return;
          const quiet = scheduler.now() - lastActivity;
          if (quiet >= idleTimeoutMs) scheduleReconnect();
          else watch(idleTimeoutMs - quiet);
        }, delay);
      };
      if (idleTimeoutMs > 0) watch(idleTimeoutMs);
      let status: number | null = null;
      const read = async (): Promise<void> => {
        const requestHeaders = new Headers(headers);
        requestHeaders.set('accept', 'text/event-stream');
        requestHeaders.set('cache-control', 'no-cache');
        if (lastEventId !== '') requestHeaders.set('last-event-id', lastEventId);
        const response = await doFetch(endpoint, { headers: requestHeaders, signal: controller.signal });
        if (stale()) {
          await response.body?.cancel().catch(() => undefined);
          return;
        }
        lastActivity = scheduler.now();
        status = response.status;
        if (status === 408 || status === 429 || status >= 500) {
          await response.body?.cancel().catch(() => undefined);
          if (!stale()) scheduleReconnect();
          return;
        }
        const type = response.headers.get('content-type') ?? '';
        if (status < 200 || status >= 300 || !/^text\/event-stream\b/i.test(type) || !response.body) {
          await response.body?.cancel().catch(() => undefined);
          fail(
            new FeedbackStreamError(
              displayUrl,
              status,
              `expected a 2xx text/event-stream response, found HTTP ${status} ${type || 'without a content type'}`,
            ),
          );
          return;
        }
        bodyReader = response.body.getReader();
        const decoder = new TextDecoder();
        const parser = new SseParser();
        for (;;) {
          const { done, value } = await bodyReader.read();
          if (stale()) return;
          if (done) break;
          lastActivity = scheduler.now();
          for (const message of parser.push(decoder.decode(value, { stream: true }))) {
            lastEventId = message.lastEventId;
            if (message.type === 'message' && !deliver(message.data)) {
              await bodyReader.cancel().catch(() => undefined);
              return;
            }
          }
        }
        scheduleReconnect();
      };
      read().catch((error: unknown) => {
        if (stale()) return;
        // The parser's overlong line or message is the server's fault, not the network's.
        if (error instanceof RangeError) fail(new FeedbackStreamError(displayUrl, status, error.message));
        else scheduleReconnect();
      });
    };

    const connect = (): void => {
      if (closed) return;
      try {
        if (EventSourceImpl !== undefined) connectEventSource(EventSourceImpl);
        else connectFetch(fetchFn!);
      } catch (error) {
        fail(error);
      }
    };

    connect();
    return () => {
      closed = true;
      reconnect?.unsubscribe();
      disconnect?.();
    };
  });
}

/** Which reader a subscription uses, or the TypeError saying why none can be. */
function chooseReader(
  fetchOption: typeof fetch | undefined,
  eventSourceOption: EventSourceConstructor | undefined,
  hasHeaders: boolean,
): { EventSourceImpl?: EventSourceConstructor; fetchFn?: typeof fetch } | TypeError {
  if (eventSourceOption !== undefined) return { EventSourceImpl: eventSourceOption };
  const globalEventSource = (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  // An EventSource cannot send headers: asking for headers (or a fetch) selects the fetch reader.
  if (fetchOption === undefined && !hasHeaders && typeof globalEventSource === 'function') {
    return { EventSourceImpl: globalEventSource };
  }
  if (fetchOption !== undefined) return { fetchFn: fetchOption };
  if (typeof globalThis.fetch === 'function') return { fetchFn: globalThis.fetch.bind(globalThis) };
  return new TypeError(
    'fromFeedbackEvents needs an EventSource or a fetch: expected a global EventSource or fetch, or the ' +
      'EventSource or fetch option, found none',
  );
}
