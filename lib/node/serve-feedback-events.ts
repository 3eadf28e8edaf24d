import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { toWire } from '../feedback/wire.js';
import { assertInteger } from '../internal/validate.js';
import { assertTimerMs } from '../webhook/internal/timer-bounds.js';

/**
 * Options of {@link serveFeedbackEvents}.
 *
 * @example
 * ```ts
 * serveFeedbackEvents(bus.feedback$, { heartbeatMs: 30_000, maxBufferedBytes: 256 * 1024 });
 * ```
 */
export interface ServeFeedbackEventsOptions {
  /**
   * How often a comment line is sent to keep idle connections open through proxies, in ms; `0`
   * sends none; at most 2147483647 (the longest timer delay). Keep it below the readers' idle
   * timeout (`idleTimeoutMs` of `fromFeedbackEvents`, 45 s by default), or they take the quiet
   * stream for a dead one and reconnect. @default 15000
   */
  readonly heartbeatMs?: number;
  /**
   * How many bytes may wait, unsent, for one slow client; past that the connection is closed (the
   * client reconnects and gets the current events from then on), so a stalled dashboard cannot
   * make the server buffer without bound. @default 1048576
   */
  readonly maxBufferedBytes?: number;
}

/**
 * A `node:http` request listener that streams feedback events, with a way to end every stream.
 *
 * @example
 * ```ts
 * const events: FeedbackEventsHandler = serveFeedbackEvents(bus.feedback$);
 * app.get('/feedback/events', events);
 * console.log(events.connections);
 * events.close();
 * ```
 */
export interface FeedbackEventsHandler {
  (req: IncomingMessage, res: ServerResponse, next?: unknown): void;
  /** How many clients are connected now. */
  readonly connections: number;
  /** Ends every open stream (call it before `server.close()`, which waits for open connections). */
  close(): void;
}

/**
 * Serves `feedback$` as server-sent events for dashboards and remote producers: a `node:http`
 * handler (express works too) that answers GET with `text/event-stream` and writes one
 * `data: <toWire JSON>` message per event, in order, plus a `: heartbeat` comment every
 * `heartbeatMs`. Each client subscribes to `feedback$` when it connects and unsubscribes when it
 * disconnects (or when the handler's `close()` is called); when `feedback$` completes or errors, the
 * streams end. Read it back with `fromFeedbackEvents(url)`, or with a browser's `EventSource`.
 *
 * Lossless per client while it keeps up; bounded by `maxBufferedBytes` per client.
 *
 * @throws TypeError / RangeError naming the option.
 * @example
 * ```ts
 * const events = serveFeedbackEvents(feedbackBus().feedback$);
 * const server = http.createServer((req, res) =>
 *   req.url === '/feedback/events' ? events(req, res) : res.writeHead(404).end(),
 * ).listen(8080);
 * // on shutdown:
 * events.close();
 * server.close();
 * ```
 */
export function serveFeedbackEvents(
  feedback$: Observable<FeedbackEvent>,
  options: ServeFeedbackEventsOptions = {},
): FeedbackEventsHandler {
  if (typeof feedback$?.subscribe !== 'function') {
    throw new TypeError('feedback$ must be an Observable of feedback events');
  }
  const { heartbeatMs = 15_000, maxBufferedBytes = 1_048_576 } = options;
  assertTimerMs('heartbeatMs', heartbeatMs);
  assertInteger('maxBufferedBytes', maxBufferedBytes, 1);
  const open = new Set<() => void>();

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('expected method GET\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tells nginx not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let subscription: Subscription | undefined = undefined;
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      open.delete(end);
      subscription?.unsubscribe();
      if (heartbeat !== undefined) clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    };
    const write = (chunk: string): void => {
      if (ended) return;
      res.write(chunk);
      if (res.writableLength > maxBufferedBytes) {
        end();
        res.destroy();
      }
    };
    open.add(end);
    req.on('close', end);
    res.on('close', end);
    res.on('error', end);
    // A first comment flushes the headers, so that clients see the stream open at once.
    write(': connected\n\n');
    subscription = feedback$.subscribe({
      next: (event) => write(`data: ${JSON.stringify(toWire(event))}\n\n`),
      error: end,
      complete: end,
    });
    if (ended) subscription.unsubscribe();
    if (heartbeatMs > 0 && !ended) {
      heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref?.();
    }
  }) as FeedbackEventsHandler;

  Object.defineProperty(handler, 'connections', { get: () => open.size, enumerable: true });
  Object.defineProperty(handler, 'close', {
    value: (): void => {
      for (const end of [...open]) end();
    },
    enumerable: true,
  });
  return handler;
}
