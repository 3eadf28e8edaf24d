import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable, Subscription } from 'rxjs';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { toWire } from '../feedback/wire.js';
import { assertDelayMs, assertInteger } from '../internal/validate.js';

/**
 * Options of {@link serveFeedbackEvents}.
 *
 * @example
 * ```ts
 * serveFeedbackEvents(bus.feedback$, { heartbeatMs: 30_000, maxBufferedBytes: 256 * 1024, retryMs: 2_000 });
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
   * How many bytes may wait, unsent, for one client before its backlog is coalesced: past it, no
   * more is written to that client until its connection drains, and meanwhile only the newest event
   * of each coordinator is kept for it (levels are state: an older one is worthless once a newer one
   * exists). So a burst never costs more than this plus one event per coordinator per client.
   * @default 1048576
   */
  readonly maxBufferedBytes?: number;
  /**
   * A client whose backlog has not moved at all for this long, in ms, has stopped reading and is
   * disconnected (a client that reads, however slowly, is kept). At most 2147483647. @default 30000
   */
  readonly stallTimeoutMs?: number;
  /**
   * The reconnection delay sent to clients in the stream's `retry:` field, in ms (an `EventSource`
   * waits this long before reconnecting). @default 1000
   */
  readonly retryMs?: number;
}

/**
 * A `node:http` request listener that streams feedback events, with a way to end every stream.
 *
 * @example
 * ```ts
 * const events: FeedbackEventsHandler = serveFeedbackEvents(bus.feedback$);
 * app.get('/feedback/events', events);
 * console.log(events.connections, events.coalesced);
 * events.close();
 * ```
 */
export interface FeedbackEventsHandler {
  (req: IncomingMessage, res: ServerResponse, next?: unknown): void;
  /** How many clients are connected now. */
  readonly connections: number;
  /** How many events were dropped from slow clients' backlogs because a newer one of the same coordinator replaced them. */
  readonly coalesced: number;
  /**
   * Ends every open stream and stops listening to `feedback$` (call it before `server.close()`,
   * which waits for open connections); later requests are answered 503.
   */
  close(): void;
}

/** An event as sent: its sequence number and its ready-made SSE frame. */
interface Frame {
  readonly seq: number;
  readonly text: string;
}

/**
 * Serves `feedback$` as server-sent events for dashboards and remote producers: a `node:http`
 * handler (express works too) that answers GET with `text/event-stream`.
 *
 * It listens to `feedback$` from the moment it is created and remembers the latest event of every
 * coordinator it saw (one per coordinator, for as long as the handler lives). Each connection gets a
 * `retry:` field, then that latest event of every coordinator (so a client that connects while a
 * coordinator is `hard` knows it at once), then every live event in order, each as `id: <id>` and
 * `data: <toWire JSON>`, plus a `: heartbeat` comment every `heartbeatMs`. A client reconnecting
 * with `Last-Event-ID` (as `EventSource` and `fromFeedbackEvents` do) gets only the coordinators
 * whose latest event is newer than that id; an id from another handler (the server restarted) gets
 * them all. When `feedback$` completes or errors, or `close()` is called, the streams end and later
 * requests are answered 503.
 *
 * Lossless per client while it keeps up; then lossy on purpose and bounded: once
 * `maxBufferedBytes` wait unsent for a client, its backlog is coalesced to the newest event per
 * coordinator until its connection drains, and a client whose backlog does not move for
 * `stallTimeoutMs` is disconnected. A client that keeps reading is never cut, whatever the burst.
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
  const {
    heartbeatMs = 15_000,
    maxBufferedBytes = 1_048_576,
    stallTimeoutMs = 30_000,
    retryMs = 1_000,
  } = options;
  assertDelayMs('heartbeatMs', heartbeatMs);
  assertInteger('maxBufferedBytes', maxBufferedBytes, 1);
  assertDelayMs('stallTimeoutMs', stallTimeoutMs, { positive: true });
  assertInteger('retryMs', retryMs, 0);

  // Ids are "<stream>-<seq>": the stream part tells a reconnecting client's id from another
  // handler's (a restarted server), whose sequence numbers mean nothing here.
  const stream = randomBytes(6).toString('hex');
  let seq = 0;
  /** The latest frame of each coordinator, in the order they were sent (oldest first). */
  const latest = new Map<string, Frame>();
  const clients = new Set<Client>();
  let coalesced = 0;
  let ended = false;

  class Client {
    private blocked = false;
    private readonly backlog = new Map<string, Frame>();
    private stall: ReturnType<typeof setTimeout> | undefined;
    private heartbeat: ReturnType<typeof setInterval> | undefined;
    private lengthAtCheck = 0;
    private closed = false;

    constructor(private readonly res: ServerResponse) {}

    open(since: number): void {
      clients.add(this);
      // A first comment flushes the headers, so that clients see the stream open at once.
      this.write(`: connected\nretry: ${retryMs}\n\n`);
      for (const [coordinatorId, frame] of latest) if (frame.seq > since) this.send(coordinatorId, frame);
      if (heartbeatMs > 0 && !this.closed) {
        this.heartbeat = setInterval(() => {
          if (!this.blocked) this.write(': heartbeat\n\n');
        }, heartbeatMs);
        this.heartbeat.unref?.();
      }
    }

    send(coordinatorId: string, frame: Frame): void {
      if (this.closed) return;
      if (!this.blocked) {
        this.write(frame.text);
        return;
      }
      // Re-inserted, so that the backlog stays in sending order.
      if (this.backlog.delete(coordinatorId)) coalesced++;
      this.backlog.set(coordinatorId, frame);
    }

    end(): void {
      if (this.closed) return;
      this.closed = true;
      clients.delete(this);
      clearTimeout(this.stall);
      clearInterval(this.heartbeat);
      this.backlog.clear();
      if (!this.res.writableEnded) this.res.end();
    }

    private write(text: string): void {
      if (this.closed) return;
      const accepted = this.res.write(text);
      // Only when write() said so will 'drain' come; below the stream's own high-water mark the
      // bytes are as good as sent.
      if (!accepted && this.res.writableLength > maxBufferedBytes) this.block();
    }

    private block(): void {
      this.blocked = true;
      this.res.once('drain', this.flush);
      this.lengthAtCheck = this.res.writableLength;
      this.stall = setTimeout(this.checkStall, stallTimeoutMs);
      this.stall.unref?.();
    }

    private readonly flush = (): void => {
      if (this.closed) return;
      this.blocked = false;
      clearTimeout(this.stall);
      const frames = [...this.backlog];
      this.backlog.clear();
      for (const [coordinatorId, frame] of frames) this.send(coordinatorId, frame);
    };

    private readonly checkStall = (): void => {
      if (this.closed || !this.blocked) return;
      const length = this.res.writableLength;
      if (length >= this.lengthAtCheck) {
        // Not one byte moved in stallTimeoutMs: the client stopped reading.
        this.end();
        this.res.destroy();
        return;
      }
      this.lengthAtCheck = length;
      this.stall = setTimeout(this.checkStall, stallTimeoutMs);
      this.stall.unref?.();
    };
  }

  const endAll = (): void => {
    ended = true;
    for (const client of [...clients]) client.end();
  };

  let subscription: Subscription | undefined = undefined;
  subscription = feedback$.subscribe({
    next: (event) => {
      if (ended) return;
      seq++;
      const frame: Frame = { seq, text: `id: ${stream}-${seq}\ndata: ${JSON.stringify(toWire(event))}\n\n` };
      latest.delete(event.coordinatorId);
      latest.set(event.coordinatorId, frame);
      for (const client of [...clients]) client.send(event.coordinatorId, frame);
    },
    error: endAll,
    complete: endAll,
  });
  if (ended) subscription.unsubscribe();

  const handler = ((req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('expected method GET\n');
      return;
    }
    if (ended) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end('feedback event stream closed\n');
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
    const client = new Client(res);
    const end = (): void => client.end();
    req.on('close', end);
    res.on('close', end);
    res.on('error', end);
    client.open(sinceOf(req.headers['last-event-id'], stream));
  }) as FeedbackEventsHandler;

  Object.defineProperty(handler, 'connections', { get: () => clients.size, enumerable: true });
  Object.defineProperty(handler, 'coalesced', { get: () => coalesced, enumerable: true });
  Object.defineProperty(handler, 'close', {
    value: (): void => {
      subscription?.unsubscribe();
      endAll();
    },
    enumerable: true,
  });
  return handler;
}

/** The sequence number a client already has, from its `Last-Event-ID`; 0 (send everything) when it is not one of ours. */
function sinceOf(header: string | string[] | undefined, stream: string): number {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^([0-9a-f]+)-(\d{1,15})$/.exec(value.trim());
  if (match === null || match[1] !== stream) return 0;
  return Number(match[2]);
}
