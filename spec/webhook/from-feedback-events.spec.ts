import { VirtualTimeScheduler, type Subscription } from 'rxjs';
import {
  fromFeedbackEvents,
  type EventSourceConstructor,
  type EventSourceLike,
} from '../../lib/webhook/from-feedback-events.js';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import { isFeedbackStreamError } from '../../lib/errors/feedback-stream-error.js';
import { isFeedbackFormatError } from '../../lib/errors/feedback-format-error.js';
import { sleep, startTestServer, waitFor, type TestServer } from './http-test-server.js';

function event(i: number): FeedbackEvent {
  return createFeedbackEvent({
    coordinatorId: 'orders',
    level: i % 2 === 0 ? 'ok' : 'hard',
    previousLevel: i % 2 === 0 ? 'hard' : 'ok',
    queueSize: i,
    capacity: 100,
    ts: 1_700_000_000_000 + i,
  });
}
const data = (i: number): string => JSON.stringify(toWire(event(i)));

/** A stand-in EventSource the test drives by hand. */
class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onmessage: ((event: { readonly data: unknown }) => unknown) | null = null;
  onerror: ((event: unknown) => unknown) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  emit(payload: string): void {
    this.onmessage?.({ data: payload });
  }
  fail(fatal: boolean): void {
    this.readyState = fatal ? 2 : 0;
    this.onerror?.({});
  }
}

describe('fromFeedbackEvents', () => {
  let server: TestServer | undefined;
  let subscription: Subscription | undefined;

  beforeEach(() => {
    FakeEventSource.instances = [];
  });

  afterEach(async () => {
    subscription?.unsubscribe();
    subscription = undefined;
    await server?.close();
    server = undefined;
  });

  describe('with an EventSource', () => {
    const ES = FakeEventSource as unknown as EventSourceConstructor;

    it('emits validated events from its messages, in order', () => {
      const received: FeedbackEvent[] = [];
      subscription = fromFeedbackEvents('http://127.0.0.1:1/events', { EventSource: ES }).subscribe((e) =>
        received.push(e),
      );
      const [source] = FakeEventSource.instances;
      expect(source!.url).toBe('http://127.0.0.1:1/events');
      source!.emit(data(1));
      source!.emit(data(2));
      expect(received).toEqual([event(1), event(2)]);
    });

    it('lets an open EventSource retry by itself, and starts a new one after reconnectMs once it is closed', () => {
      const scheduler = new VirtualTimeScheduler();
      const received: FeedbackEvent[] = [];
      subscription = fromFeedbackEvents('http://127.0.0.1:1/events', {
        EventSource: ES,
        reconnectMs: 500,
        scheduler,
      }).subscribe((e) => received.push(e));

      FakeEventSource.instances[0]!.fail(false);
      scheduler.flush();
      expect(FakeEventSource.instances).toHaveLength(1);

      FakeEventSource.instances[0]!.fail(true);
      expect(FakeEventSource.instances[0]!.closed).toBe(true);
      expect(FakeEventSource.instances).toHaveLength(1);
      scheduler.flush();
      expect(scheduler.now()).toBe(500);
      expect(FakeEventSource.instances).toHaveLength(2);
      FakeEventSource.instances[1]!.emit(data(3));
      expect(received).toEqual([event(3)]);
    });

    it('closes the EventSource on unsubscribe and cancels a pending reconnection', () => {
      const scheduler = new VirtualTimeScheduler();
      subscription = fromFeedbackEvents('http://127.0.0.1:1/events', {
        EventSource: ES,
        scheduler,
      }).subscribe();
      FakeEventSource.instances[0]!.fail(true);
      subscription.unsubscribe();
      scheduler.flush();
      expect(FakeEventSource.instances).toHaveLength(1);
      expect(FakeEventSource.instances[0]!.closed).toBe(true);
    });

    it('errors with FeedbackFormatError on an invalid message and closes the source', () => {
      let error: unknown;
      subscription = fromFeedbackEvents('http://127.0.0.1:1/events', { EventSource: ES }).subscribe({
        error: (e: unknown) => (error = e),
      });
      FakeEventSource.instances[0]!.emit('{"coordinator_id":"x","level":"panic"}');
      expect(isFeedbackFormatError(error)).toBe(true);
      expect(FakeEventSource.instances[0]!.closed).toBe(true);
    });

    it('uses the global EventSource when there is one and no fetch or headers are given', () => {
      const globals = globalThis as { EventSource?: unknown };
      const previous = globals.EventSource;
      globals.EventSource = FakeEventSource;
      const fetchCalls: unknown[] = [];
      const fakeFetch = (input: unknown): Promise<Response> => {
        fetchCalls.push(input);
        return new Promise<Response>(() => undefined);
      };
      try {
        subscription = fromFeedbackEvents('http://127.0.0.1:1/events').subscribe();
        expect(FakeEventSource.instances).toHaveLength(1);
        subscription.unsubscribe();
        subscription = fromFeedbackEvents('http://127.0.0.1:1/events', { fetch: fakeFetch }).subscribe();
        subscription.unsubscribe();
        subscription = fromFeedbackEvents('http://127.0.0.1:1/events', {
          headers: { authorization: 'Bearer t' },
        }).subscribe();
      } finally {
        globals.EventSource = previous;
      }
      expect(FakeEventSource.instances).toHaveLength(1);
      expect(fetchCalls).toHaveLength(1);
    });
  });

  describe('without EventSource or fetch (jsdom)', () => {
    it('does not throw when called, and errors with a TypeError on subscribe', () => {
      const globals = globalThis as { fetch?: typeof fetch; EventSource?: unknown };
      const previousFetch = globals.fetch;
      const previousEventSource = globals.EventSource;
      let events$: ReturnType<typeof fromFeedbackEvents> | undefined;
      let error: unknown;
      try {
        delete globals.fetch;
        delete globals.EventSource;
        events$ = fromFeedbackEvents('http://127.0.0.1:1/events');
        events$.subscribe({ error: (e: unknown) => (error = e) });
      } finally {
        globals.fetch = previousFetch;
        if (previousEventSource !== undefined) globals.EventSource = previousEventSource;
      }
      expect(events$).toBeDefined();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('expected a global EventSource or fetch');
    });

    it('uses an EventSource installed after the call (a polyfill loaded later)', () => {
      const globals = globalThis as { EventSource?: unknown };
      const previous = globals.EventSource;
      const events$ = fromFeedbackEvents('http://127.0.0.1:1/events');
      try {
        globals.EventSource = FakeEventSource;
        subscription = events$.subscribe();
      } finally {
        globals.EventSource = previous;
        if (previous === undefined) delete globals.EventSource;
      }
      expect(FakeEventSource.instances).toHaveLength(1);
    });
  });

  describe('with fetch (no EventSource)', () => {
    it('parses chunked streams with CRLF, multi-line data, comments and other event types', async () => {
      server = await startTestServer({
        raw: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const cut = data(2).indexOf(',') + 1;
          const whole = `: hi\r\n\r\ndata: ${data(1)}\r\n\r\nevent: other\ndata: {}\n\ndata: ${data(2).slice(0, cut)}\ndata: ${data(2).slice(cut)}\n\n`;
          // Dribble it out in 7-byte chunks, splitting CRLFs and JSON alike.
          let offset = 0;
          const timer = setInterval(() => {
            if (offset >= whole.length) return void clearInterval(timer);
            res.write(whole.slice(offset, offset + 7));
            offset += 7;
          }, 1);
          res.on('close', () => clearInterval(timer));
        },
      });
      const received: unknown[] = [];
      let error: unknown;
      subscription = fromFeedbackEvents(server.url).subscribe({
        next: (e) => received.push(e),
        error: (e: unknown) => (error = e),
      });
      // The second payload, split over two data lines, is joined with a newline: still valid JSON.
      await waitFor(() => received.length === 2 || error !== undefined);
      expect(error).toBeUndefined();
      expect(received).toEqual([event(1), event(2)]);
      expect(server.requests[0]!.headers.accept).toBe('text/event-stream');
    });

    it('ends with a FeedbackStreamError when a message never ends (data lines without a blank line)', async () => {
      server = await startTestServer({
        raw: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          // 64 KiB data lines, never a blank line: 2 MiB in all unless the reader stops it.
          const line = `data: ${'x'.repeat(65_536)}\n`;
          let sent = 0;
          const timer = setInterval(() => {
            if (sent++ >= 32 || res.destroyed) return void clearInterval(timer);
            res.write(line);
          }, 1);
          res.on('close', () => clearInterval(timer));
        },
      });
      let error: unknown;
      subscription = fromFeedbackEvents(server.url, { reconnectMs: 10 }).subscribe({
        error: (e: unknown) => (error = e),
      });
      await waitFor(() => error !== undefined);
      expect(isFeedbackStreamError(error)).toBe(true);
      expect((error as Error).message).toContain('message too long: expected at most 1048576 characters');
      expect((error as { status: number }).status).toBe(200);
      expect(server.requests).toHaveLength(1);
    });

    it('ends with a FeedbackStreamError on a line longer than 1 MiB', async () => {
      server = await startTestServer({
        raw: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`: ${'x'.repeat(1_100_000)}`);
        },
      });
      let error: unknown;
      subscription = fromFeedbackEvents(server.url).subscribe({ error: (e: unknown) => (error = e) });
      await waitFor(() => error !== undefined);
      expect(isFeedbackStreamError(error)).toBe(true);
      expect((error as Error).message).toContain('line too long');
    });

    it('sends Last-Event-ID with the id of the last event when it reconnects', async () => {
      server = await startTestServer({
        raw: (_req, res) => {
          const n = server!.requests.length;
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(`id: e-${n}\ndata: ${data(n)}\n\n`);
        },
      });
      const received: FeedbackEvent[] = [];
      subscription = fromFeedbackEvents(server.url, { reconnectMs: 10 }).subscribe((e) => received.push(e));
      await waitFor(() => server!.requests.length >= 3);
      expect(server.requests[0]!.headers['last-event-id']).toBeUndefined();
      expect(server.requests[1]!.headers['last-event-id']).toBe('e-1');
      expect(server.requests[2]!.headers['last-event-id']).toBe('e-2');
    });

    it('sends custom headers', async () => {
      server = await startTestServer({
        raw: (_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': ok\n\n'),
      });
      subscription = fromFeedbackEvents(server.url, { headers: { authorization: 'Bearer t' } }).subscribe();
      await waitFor(() => server!.requests.length === 1);
      expect(server.requests[0]!.headers.authorization).toBe('Bearer t');
    });

    it('reconnects after 503 and after the stream ends', async () => {
      server = await startTestServer({
        raw: (_req, res) => {
          const n = server!.requests.length;
          if (n === 1) return void res.writeHead(503).end();
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(`data: ${data(n)}\n\n`);
        },
      });
      const received: FeedbackEvent[] = [];
      subscription = fromFeedbackEvents(server.url, { reconnectMs: 20 }).subscribe((e) => received.push(e));
      await waitFor(() => received.length >= 2);
      expect(received.slice(0, 2)).toEqual([event(2), event(3)]);
    });

    it('reconnects when the connection is refused, until the server is there', async () => {
      const received: FeedbackEvent[] = [];
      let calls = 0;
      subscription = fromFeedbackEvents('http://127.0.0.1:9/events', {
        reconnectMs: 20,
        fetch: () => {
          calls++;
          if (calls < 3) return Promise.reject(new TypeError('fetch failed'));
          return Promise.resolve(
            new Response(`data: ${data(7)}\n\n`, { headers: { 'content-type': 'text/event-stream' } }),
          );
        },
      }).subscribe((e) => received.push(e));
      await waitFor(() => received.length >= 1);
      expect(calls).toBeGreaterThanOrEqual(3);
      expect(received[0]).toEqual(event(7));
    });

    it.each([
      [404, 'text/plain'],
      [200, 'application/json'],
    ])('errors with FeedbackStreamError for HTTP %i %s', async (status, type) => {
      server = await startTestServer({
        raw: (_req, res) => res.writeHead(status, { 'content-type': type }).end('{}'),
      });
      let error: unknown;
      subscription = fromFeedbackEvents(`${server.url}?token=hidden`, { reconnectMs: 10 }).subscribe({
        error: (e: unknown) => (error = e),
      });
      await waitFor(() => error !== undefined);
      expect(isFeedbackStreamError(error)).toBe(true);
      expect(error).toMatchObject({ status });
      expect((error as Error).message).not.toContain('hidden');
      expect(server.requests).toHaveLength(1);
    });

    it('errors with FeedbackFormatError for a message that is not an event', async () => {
      server = await startTestServer({
        raw: (req, res) =>
          res
            .writeHead(200, { 'content-type': 'text/event-stream' })
            .end(server!.requests.length === 1 ? 'data: [1]\n\n' : 'data: {oops\n\n'),
      });
      const errors: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        subscription = fromFeedbackEvents(server.url).subscribe({ error: (e: unknown) => errors.push(e) });
        await waitFor(() => errors.length === i + 1);
      }
      expect(errors.every(isFeedbackFormatError)).toBe(true);
      expect((errors[1] as Error).message).toContain('expected JSON');
    });

    it('aborts the request on unsubscribe', async () => {
      let closed = false;
      server = await startTestServer({
        raw: (req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
          req.socket.on('close', () => (closed = true));
        },
      });
      subscription = fromFeedbackEvents(server.url).subscribe();
      await waitFor(() => server!.requests.length === 1);
      subscription.unsubscribe();
      await waitFor(() => closed, 2_000, 'the socket to close');
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('idle watchdog (fetch reader)', () => {
    it('replaces a connection that went silent for idleTimeoutMs', async () => {
      const closedSockets: number[] = [];
      server = await startTestServer({
        raw: (req, res) => {
          const n = server!.requests.length;
          req.socket.on('close', () => closedSockets.push(n));
          // Open, then silent forever on the first connection; an event on the second.
          res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
          if (n === 2) res.write(`data: ${data(5)}\n\n`);
        },
      });
      const received: FeedbackEvent[] = [];
      subscription = fromFeedbackEvents(server.url, { idleTimeoutMs: 300, reconnectMs: 10 }).subscribe((e) =>
        received.push(e),
      );

      await waitFor(() => received.length === 1, 4_000, 'an event on a new connection');
      expect(server.requests).toHaveLength(2);
      await waitFor(() => closedSockets.includes(1), 2_000, 'the silent connection to close');
      expect(received).toEqual([event(5)]);
    });

    it('keeps a connection that receives heartbeats', async () => {
      server = await startTestServer({
        raw: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' }).write(': open\n\n');
          const timer = setInterval(() => res.write(': heartbeat\n\n'), 50);
          res.on('close', () => clearInterval(timer));
        },
      });
      // Heartbeats 20 times more often than the timeout: only a stall of the whole process for
      // about a second could look like silence.
      subscription = fromFeedbackEvents(server.url, { idleTimeoutMs: 1_000, reconnectMs: 10 }).subscribe();
      await sleep(2_500);
      expect(server.requests).toHaveLength(1);
    });

    it('gives up on a fetch that never answers and ignores its signal, after 45 s by default', () => {
      const scheduler = new VirtualTimeScheduler(undefined, 44_999);
      let calls = 0;
      const neverFetch = (): Promise<Response> => {
        calls++;
        return new Promise<Response>(() => undefined);
      };
      subscription = fromFeedbackEvents('http://127.0.0.1:9/events', {
        fetch: neverFetch,
        scheduler,
      }).subscribe();
      expect(calls).toBe(1);
      scheduler.flush();
      expect(calls).toBe(1);
      // At 45 s the connection is given up; the new one starts reconnectMs (1 s) later.
      scheduler.maxFrames = 46_000;
      scheduler.flush();
      expect(calls).toBe(2);
      expect(scheduler.now()).toBe(46_000);
    });

    it('can be turned off with 0', () => {
      const scheduler = new VirtualTimeScheduler(undefined, 10_000_000);
      let calls = 0;
      const neverFetch = (): Promise<Response> => {
        calls++;
        return new Promise<Response>(() => undefined);
      };
      subscription = fromFeedbackEvents('http://127.0.0.1:9/events', {
        fetch: neverFetch,
        scheduler,
        idleTimeoutMs: 0,
      }).subscribe();
      scheduler.flush();
      expect(calls).toBe(1);
    });
  });

  it('validates its arguments', () => {
    expect(() => fromFeedbackEvents('ws://x/events')).toThrow(/url must be an http: or https: URL/);
    expect(() => fromFeedbackEvents('http://x/', { reconnectMs: -1 })).toThrow(/reconnectMs/);
    expect(() => fromFeedbackEvents('http://x/', { reconnectMs: 2 ** 31 })).toThrow(
      new RangeError('reconnectMs must be a finite number within [0, 2147483647], found 2147483648'),
    );
    expect(() => fromFeedbackEvents('http://x/', { idleTimeoutMs: 2 ** 31 })).toThrow(
      new RangeError('idleTimeoutMs must be a finite number within [0, 2147483647], found 2147483648'),
    );
    expect(() => fromFeedbackEvents('http://x/', { idleTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => fromFeedbackEvents('http://x/', { idleTimeoutMs: Number.NaN })).toThrow(/idleTimeoutMs/);
    expect(() => fromFeedbackEvents('http://x/', { idleTimeoutMs: '5' as never })).toThrow(
      new TypeError('idleTimeoutMs must be a number, found string "5"'),
    );
    expect(() =>
      fromFeedbackEvents('http://x/', { reconnectMs: 2 ** 31 - 1, idleTimeoutMs: 2 ** 31 - 1 }),
    ).not.toThrow();
    expect(() => fromFeedbackEvents('http://x/', { headers: { a: 1 as never } })).toThrow(
      /headers\["a"\] must be a string/,
    );
    expect(() => fromFeedbackEvents('http://x/', { fetch: 1 as never })).toThrow(/fetch must be a function/);
    expect(() => fromFeedbackEvents('http://x/', { headers: { 'a b': 'c' } })).toThrow(
      /headers must hold valid/,
    );
  });
});
