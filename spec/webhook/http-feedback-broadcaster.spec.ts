import { Subject, config } from 'rxjs';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import { AlreadyStartedError } from '../../lib/errors/already-started-error.js';
import { verifyFeedbackSignature } from '../../lib/webhook/feedback-signature.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { BoundedQueue } from '../../lib/queue/bounded-queue.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { toFeedbackEvents } from '../../lib/levels/to-feedback-events.js';
import { isWebhookDeliveryError } from '../../lib/errors/webhook-delivery-error.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { refusedPort, sleep, startTestServer, waitFor, type TestServer } from './http-test-server.js';
import { sampleEvent } from '../support/sample-event.js';
import { recordDeliveries } from '../support/record-deliveries.js';

const LEVELS: readonly BackpressureLevel[] = ['ok', 'soft', 'hard'];

const event = sampleEvent;

const record = recordDeliveries;

describe('HttpFeedbackBroadcaster', () => {
  let server: TestServer | undefined;
  let broadcaster: HttpFeedbackBroadcaster | undefined;

  afterEach(async () => {
    broadcaster?.stop();
    broadcaster = undefined;
    await server?.close();
    server = undefined;
  });

  describe('payload', () => {
    it('POSTs toWire(event) as JSON with the known keys and values, and static headers', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, headers: { 'x-api-key': 'k1' } });
      const { delivered } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);

      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      expect(request!.method).toBe('POST');
      expect(request!.url).toBe('/feedback');
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.headers['x-api-key']).toBe('k1');
      expect(request!.headers['x-feedback-signature']).toBeUndefined();
      const payload = JSON.parse(request!.body.toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(payload).sort()).toEqual([
        'capacity',
        'coordinator_id',
        'level',
        'previous_level',
        'queue_size',
        'reason',
        'source',
        'ts',
        'utilization',
      ]);
      expect(payload).toEqual({
        coordinator_id: 'orders',
        level: 'hard',
        previous_level: 'soft',
        queue_size: 8_100,
        capacity: 10_000,
        utilization: 0.81,
        reason: 'high_watermark',
        source: 'coordinator',
        ts: 1_700_000_000.123,
      });
      expect(delivered).toEqual([expect.objectContaining({ attempts: 1, status: 204 })]);
    });

    it('signs the exact body with the secret, and the signature verifies', async () => {
      server = await startTestServer((_req, res) => res.writeHead(200).end('ok'));
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, secret: 's3cret' });

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);

      const [request] = server.requests;
      const header = request!.headers['x-feedback-signature'];
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      await expect(verifyFeedbackSignature(request!.body, header, 's3cret')).resolves.toBe(true);
      await expect(verifyFeedbackSignature(request!.body, header, 'other')).resolves.toBe(false);
    });

    it('does not let static headers replace the content type', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      broadcaster = new HttpFeedbackBroadcaster({
        url: server.url,
        headers: { 'Content-Type': 'text/plain' },
      });
      await broadcaster.broadcastOne(event());
      expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    });
  });

  describe('retries', () => {
    it('makes exactly 2 POSTs when HTTP 500 persists and maxRetries is 2', async () => {
      server = await startTestServer((_req, res) => res.writeHead(500).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, maxRetries: 2, backoffMs: 10 });
      const { delivered, failed } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(server.requests).toHaveLength(2);
      expect(delivered).toHaveLength(0);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 2, status: 500, superseded: false });
      expect(failed[0]!.error).toMatchObject({ kind: 'status', status: 500, attempts: 2 });
      expect(isWebhookDeliveryError(failed[0]!.error)).toBe(true);
      expect(failed[0]!.error.message).toContain('found HTTP 500');
    });

    it('makes exactly 3 attempts when the connection is refused and maxRetries is 3', async () => {
      const port = await refusedPort();
      let calls = 0;
      broadcaster = new HttpFeedbackBroadcaster({
        url: `http://127.0.0.1:${port}/feedback`,
        maxRetries: 3,
        backoffMs: 10,
        fetch: (input, init) => {
          calls++;
          return fetch(input, init);
        },
      });
      const { failed } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(calls).toBe(3);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 3, status: null });
      expect(failed[0]!.error.kind).toBe('network');
    });

    it('makes exactly 1 POST for HTTP 400', async () => {
      server = await startTestServer((_req, res) => res.writeHead(400).end('bad'));
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 10 });
      const { failed } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(server.requests).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 1, status: 400 });
    });

    it.each([401, 403, 404, 409, 422])('does not retry HTTP %i', async (status) => {
      server = await startTestServer((_req, res) => res.writeHead(status).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 1 });
      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);
      expect(server.requests).toHaveLength(1);
    });

    it.each([408, 429, 502, 503])(
      'retries HTTP %i and succeeds when the endpoint recovers',
      async (status) => {
        server = await startTestServer((_req, res) =>
          res.writeHead(server!.requests.length < 3 ? status : 200).end(),
        );
        broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 5 });
        const { delivered } = record(broadcaster);

        await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);

        expect(server.requests).toHaveLength(3);
        expect(delivered[0]).toMatchObject({ attempts: 3, status: 200 });
      },
    );

    it('doubles the backoff between attempts', async () => {
      server = await startTestServer((_req, res) => res.writeHead(503).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, maxRetries: 3, backoffMs: 150 });

      await broadcaster.broadcastOne(event());

      const [a, b, c] = server.requests.map((r) => r.at);
      expect(b! - a!).toBeGreaterThanOrEqual(140);
      expect(c! - b!).toBeGreaterThanOrEqual(290);
      expect(c! - b!).toBeGreaterThan(b! - a!);
    });

    it('waits as long as Retry-After (seconds) says on 429', async () => {
      server = await startTestServer((_req, res) =>
        server!.requests.length === 1
          ? res.writeHead(429, { 'retry-after': '1' }).end()
          : res.writeHead(204).end(),
      );
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 10 });

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);

      const [first, second] = server.requests.map((r) => r.at);
      expect(second! - first!).toBeGreaterThanOrEqual(950);
      expect(second! - first!).toBeLessThan(5_000);
    });

    it('honours a Retry-After HTTP-date', async () => {
      server = await startTestServer((_req, res) => {
        if (server!.requests.length > 1) return void res.writeHead(204).end();
        // HTTP-dates have whole seconds: 2 s ahead is at least 1 s ahead.
        res.writeHead(503, { 'retry-after': new Date(Date.now() + 2_000).toUTCString() }).end();
      });
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 10 });

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);

      const [first, second] = server.requests.map((r) => r.at);
      expect(second! - first!).toBeGreaterThanOrEqual(950);
    });

    it('caps Retry-After at maxRetryAfterMs', async () => {
      server = await startTestServer((_req, res) =>
        server!.requests.length === 1
          ? res.writeHead(429, { 'retry-after': '3600' }).end()
          : res.writeHead(204).end(),
      );
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 10, maxRetryAfterMs: 200 });

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);

      const [first, second] = server.requests.map((r) => r.at);
      expect(second! - first!).toBeGreaterThanOrEqual(190);
    });

    it('times out a hanging endpoint, once per attempt', async () => {
      server = await startTestServer(() => {
        /* never answers */
      });
      broadcaster = new HttpFeedbackBroadcaster({
        url: server.url,
        timeoutMs: 200,
        maxRetries: 2,
        backoffMs: 10,
      });
      const { failed } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(server.requests).toHaveLength(2);
      // Each attempt ran its 200 ms before the timeout cut it (a lower bound: load only adds to it).
      const [first, second] = server.requests.map((r) => r.at);
      expect(second! - first!).toBeGreaterThanOrEqual(190);
      expect(failed[0]!.error.kind).toBe('timeout');
      expect(failed[0]!.attempts).toBe(2);
    });

    it('does not follow a redirect and does not retry it', async () => {
      server = await startTestServer((req, res) =>
        req.url === '/feedback'
          ? res.writeHead(307, { location: '/elsewhere' }).end()
          : res.writeHead(204).end(),
      );
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, secret: 'x', backoffMs: 1 });
      const { failed } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(server.requests.map((r) => r.url)).toEqual(['/feedback']);
      expect(failed[0]!.error).toMatchObject({ kind: 'redirect', status: 307 });
    });
  });

  describe('start() and coalescing', () => {
    it('forwards bus events and never blocks the publisher', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url }).start(bus);
      const { delivered } = record(broadcaster);

      bus.publish(event({ level: 'soft', previousLevel: 'ok', queueSize: 5_000, reason: 'soft_watermark' }));
      // Nothing is sent synchronously: the publisher returned before any request was built.
      expect(server.requests).toHaveLength(0);
      await waitFor(() => delivered.length === 1);

      expect(JSON.parse(server.requests[0]!.body.toString()) as unknown).toMatchObject({ level: 'soft' });
      expect(broadcaster.started).toBe(true);
    });

    it('accepts an Observable of events as the source', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      const events = new Subject<FeedbackEvent>();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url }).start(events);
      const { delivered } = record(broadcaster);

      events.next(event());
      await waitFor(() => delivered.length === 1);

      expect(server.requests).toHaveLength(1);
    });

    it('is idempotent for the same source and refuses another one until stopped', () => {
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:9/feedback' });
      broadcaster.start(bus);
      broadcaster.start(bus);
      expect(bus.subscriberCount).toBe(1);
      expect(() => broadcaster!.start(new FeedbackBus())).toThrow(AlreadyStartedError);
      expect(() => broadcaster!.start(new FeedbackBus())).toThrow(
        'HttpFeedbackBroadcaster is already started on another source: expected it stopped',
      );
      broadcaster.stop();
      expect(bus.subscriberCount).toBe(0);
      expect(broadcaster.started).toBe(false);
    });

    it('keeps one request in flight per coordinator and only the newest pending event', async () => {
      const release: (() => void)[] = [];
      server = await startTestServer((_req, res) => {
        release.push(() => res.writeHead(204).end());
      });
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url }).start(bus);
      const { delivered } = record(broadcaster);

      bus.publish(event({ queueSize: 1 }));
      await waitFor(() => server!.requests.length === 1);
      bus.publish(event({ queueSize: 2 }));
      bus.publish(event({ queueSize: 3 }));
      bus.publish(event({ queueSize: 4 }));
      bus.publish(event({ coordinatorId: 'other', queueSize: 9 }));
      await waitFor(() => server!.requests.length === 2);
      await sleep(50);

      // One in flight per coordinator: 'orders' waits, 'other' went out at once.
      expect(server.requests).toHaveLength(2);
      expect(broadcaster.inFlight).toBe(2);
      expect(broadcaster.pending).toBe(1);
      expect(broadcaster.coalesced).toBe(2);

      release.splice(0).forEach((r) => r());
      await waitFor(() => server!.requests.length === 3);
      release.splice(0).forEach((r) => r());
      await waitFor(() => delivered.length === 3);

      const sizes = server.requests.map(
        (r) => (JSON.parse(r.body.toString()) as { queue_size: number }).queue_size,
      );
      expect(sizes).toEqual([1, 9, 4]);
      expect(broadcaster.inFlight).toBe(0);
      expect(broadcaster.pending).toBe(0);
    });

    it('gives up retrying an event when a newer one of its coordinator is waiting', async () => {
      server = await startTestServer((_req, res) =>
        res.writeHead(server!.requests.length === 1 ? 503 : 204).end(),
      );
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 300 }).start(bus);
      const { delivered, failed } = record(broadcaster);

      bus.publish(event({ queueSize: 1 }));
      await waitFor(() => server!.requests.length === 1);
      bus.publish(event({ queueSize: 2 }));
      await waitFor(() => delivered.length === 1);

      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ superseded: true, attempts: 1, status: 503 });
      expect(failed[0]!.event.queueSize).toBe(1);
      expect(delivered[0]!.event.queueSize).toBe(2);
      expect(server.requests).toHaveLength(2);
    });

    it('on a 1 000-event burst against a slow endpoint: at most one event held per coordinator, the last level wins', async () => {
      server = await startTestServer((_req, res) => {
        setTimeout(() => res.writeHead(204).end(), 100);
      });
      const bus = new FeedbackBus();
      const events: FeedbackEvent[] = [];
      for (let i = 0; i < 1_000; i++) {
        const level = LEVELS[i % 3]!;
        events.push(
          event({ level, previousLevel: LEVELS[(i + 2) % 3]!, queueSize: i, ts: 1_700_000_000_000 + i }),
        );
      }

      broadcaster = new HttpFeedbackBroadcaster({ url: server.url }).start(bus);
      const { delivered } = record(broadcaster);
      let maxPending = 0;
      let maxInFlight = 0;
      // Ten bursts of 100, 10 ms apart, so that events arrive while a request is in flight.
      for (let burst = 0; burst < 10; burst++) {
        for (let i = 0; i < 100; i++) {
          bus.publish(events[burst * 100 + i]!);
          maxPending = Math.max(maxPending, broadcaster.pending);
          maxInFlight = Math.max(maxInFlight, broadcaster.inFlight);
        }
        await sleep(10);
      }
      await waitFor(() => broadcaster!.inFlight === 0 && broadcaster!.pending === 0, 10_000, 'idle');

      const last = delivered[delivered.length - 1]!;
      expect(last.event).toBe(events[events.length - 1]);
      // What bounds memory: one coordinator, so at most one event pending and one in flight.
      expect(maxPending).toBeLessThanOrEqual(1);
      expect(maxInFlight).toBeLessThanOrEqual(1);
      // Every event is either sent or counted as coalesced.
      expect(server.requests.length + broadcaster.coalesced).toBe(1_000);
      expect(server.requests.length).toBeLessThan(30);
      // What the bus and heap pay for it is measured in bench/ (npm run bench -- --only=webhook).
    });

    it('holds one event per coordinator however many events arrive while the endpoint hangs', async () => {
      server = await startTestServer(() => {
        /* never answers */
      });
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 20_000 }).start(bus);
      const publish = (from: number, count: number): void => {
        for (let i = from; i < from + count; i++) {
          bus.publish(event({ coordinatorId: `c${i % 4}`, level: LEVELS[i % 3]!, queueSize: i % 10_000 }));
        }
      };
      publish(0, 100);
      await waitFor(() => server!.requests.length === 4);
      let maxPending = 0;
      let maxInFlight = 0;
      for (let round = 0; round < 100; round++) {
        publish(100 + round * 1_000, 1_000);
        maxPending = Math.max(maxPending, broadcaster.pending);
        maxInFlight = Math.max(maxInFlight, broadcaster.inFlight);
        await sleep(1);
      }
      expect(server.requests).toHaveLength(4);
      expect(broadcaster.inFlight).toBe(4);
      expect(broadcaster.pending).toBe(4);
      expect(broadcaster.coalesced).toBe(100_100 - 4 - 4);
      // Bounded by the number of coordinators (4), however many events came.
      expect(maxPending).toBe(4);
      expect(maxInFlight).toBe(4);
      // The heap this leaves is measured in bench/ (npm run bench -- --only=webhook).
    });

    it('does not slow a queue whose depth drives the bus', async () => {
      server = await startTestServer(() => {
        /* never answers: the slowest endpoint */
      });
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 5_000 }).start(bus);
      const queue = new BoundedQueue<number>({ capacity: 10, overflow: 'reject' });
      queue.depth$
        .pipe(toFeedbackEvents({ coordinatorId: 'q', capacity: 10 }))
        .subscribe((e) => bus.publish(e));

      let transitions = 0;
      bus.subscribe(() => void transitions++);
      for (let round = 0; round < 1_000; round++) {
        while (queue.tryOffer(round)) {
          /* fill */
        }
        queue.poll(10);
      }

      // Each round goes ok -> soft -> hard -> ok: 3 events a round reach the bus, synchronously.
      expect(transitions).toBe(3_000);
      // The whole synchronous burst coalesced into one request, carrying the last level.
      await waitFor(() => server!.requests.length === 1);
      await sleep(20);
      expect(server.requests).toHaveLength(1);
      expect(JSON.parse(server.requests[0]!.body.toString()) as unknown).toMatchObject({
        level: 'ok',
        queue_size: 0,
      });
      expect(broadcaster.coalesced).toBe(2_999);
      expect(broadcaster.pending).toBe(0);
    });

    it('lets a WriteCoordinator publishing on the bus write everything, even with an endpoint that never answers', async () => {
      server = await startTestServer(() => {
        /* never answers */
      });
      const bus = new FeedbackBus();
      let events = 0;
      bus.subscribe(() => void events++);
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 10_000 }).start(bus);
      const coordinator = new WriteCoordinator<number>({
        id: 'db',
        capacity: 100,
        workers: 1,
        batchSize: 50,
        flushIntervalMs: 1,
        bus,
        sink: () => sleep(1),
      });
      coordinator.start();
      for (let i = 0; i < 5_000; i++) await coordinator.submit(i);
      const report = await coordinator.stop({ drain: true });

      expect(report).toMatchObject({ drained: true, written: 5_000 });
      expect(events).toBeGreaterThan(10);
      expect(server.requests).toHaveLength(1); // one request hanging, the rest coalesced behind it
      // What the hanging webhook costs the coordinator is measured in bench/ (--only=webhook).
    });

    it('stop() aborts the request in flight, drops what is pending and unsubscribes', async () => {
      let closedByClient = false;
      server = await startTestServer((req) => {
        req.socket.on('close', () => (closedByClient = true));
      });
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, timeoutMs: 10_000 }).start(bus);
      const { delivered, failed } = record(broadcaster);

      bus.publish(event({ queueSize: 1 }));
      await waitFor(() => server!.requests.length === 1);
      bus.publish(event({ queueSize: 2 }));
      broadcaster.stop();
      bus.publish(event({ queueSize: 3 }));

      await waitFor(() => failed.length === 1);
      await waitFor(() => closedByClient, 2_000, 'the socket to close');
      await sleep(50);
      expect(failed[0]!.error.kind).toBe('aborted');
      expect(failed[0]!.event.queueSize).toBe(1);
      expect(delivered).toHaveLength(0);
      expect(server.requests).toHaveLength(1);
      expect(bus.subscriberCount).toBe(0);
      expect(broadcaster.inFlight).toBe(0);
      expect(broadcaster.pending).toBe(0);
    });

    it('stop() also cancels a backoff wait', async () => {
      server = await startTestServer((_req, res) => res.writeHead(503).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, backoffMs: 5_000 });
      const { failed } = record(broadcaster);

      const result = broadcaster.broadcastOne(event());
      await waitFor(() => server!.requests.length === 1);
      await sleep(20);
      let settled = false;
      void result.then(() => (settled = true));
      broadcaster.stop();

      // Resolved by stop, well before the 5 s backoff would have ended.
      await waitFor(() => settled, 4_000, 'stop to end the backoff wait');
      await expect(result).resolves.toBe(false);
      expect(failed[0]!.error.kind).toBe('aborted');
      expect(server.requests).toHaveLength(1);
    });

    it('works again after stop() and start()', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url }).start(bus);
      broadcaster.stop();
      broadcaster.start(bus);
      const { delivered } = record(broadcaster);
      bus.publish(event());
      await waitFor(() => delivered.length === 1);
      expect(server.requests).toHaveLength(1);
    });

    it('survives an observer of delivered$ that throws', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url });
      const onUnhandled = jest.fn();
      const previous = config.onUnhandledError;
      config.onUnhandledError = onUnhandled;
      try {
        broadcaster.delivered$.subscribe(() => {
          throw new Error('observer bug');
        });
        await expect(broadcaster.broadcastOne(event())).resolves.toBe(true);
        await waitFor(() => onUnhandled.mock.calls.length === 1);
      } finally {
        config.onUnhandledError = previous;
      }
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('options', () => {
    it.each([
      [{ url: 'ftp://x/y' }, /url must be an http: or https: URL/],
      [{ url: 'not a url' }, /url must be an absolute http\(s\) URL/],
      [{ url: 42 }, /url must be a string or URL/],
      [
        { url: 'http://h/', timeoutMs: 0 },
        /timeoutMs must be a finite number within \(0, 2147483647\], found 0/,
      ],
      [{ url: 'http://h/', maxRetries: 0 }, /maxRetries must be an integer >= 1/],
      [{ url: 'http://h/', maxRetries: 1.5 }, /maxRetries must be an integer/],
      [
        { url: 'http://h/', backoffMs: -1 },
        /backoffMs must be a finite number within \[0, 2147483647\], found -1/,
      ],
      [{ url: 'http://h/', maxRetryAfterMs: Number.NaN }, /maxRetryAfterMs/],
      [{ url: 'http://h/', secret: '' }, /secret must be a non-empty string/],
      [{ url: 'http://h/', headers: { a: 1 } }, /headers\["a"\] must be a string/],
      [{ url: 'http://h/', fetch: 'nope' }, /fetch must be a function/],
      [{ url: 'http://h/', headers: { 'bad name': 'v' } }, /headers must hold valid HTTP header names/],
      [{ url: 'http://h/', headers: null }, /headers must be an object/],
      [null, /options must be an object with a url/],
    ])('rejects %p', (options, message) => {
      expect(() => new HttpFeedbackBroadcaster(options as never)).toThrow(message);
    });

    it('rejects a start() source that is neither a bus nor an Observable', () => {
      broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:9/feedback' });
      expect(() => broadcaster!.start({} as never)).toThrow(/source must be a FeedbackBus or an Observable/);
      expect(broadcaster.started).toBe(false);
    });

    it('rejects broadcastOne with a TypeError for something that is not an event', async () => {
      broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:9/feedback' });
      await expect(broadcaster.broadcastOne(null as never)).rejects.toThrow(/event must be a FeedbackEvent/);
    });

    it('redacts the query string from error messages', async () => {
      const port = await refusedPort();
      broadcaster = new HttpFeedbackBroadcaster({
        url: `http://127.0.0.1:${port}/hook?token=secret-token`,
        maxRetries: 1,
      });
      const { failed } = record(broadcaster);
      await broadcaster.broadcastOne(event());
      expect(failed[0]!.error.message).toContain(`http://127.0.0.1:${port}/hook`);
      expect(failed[0]!.error.message).not.toContain('secret-token');
    });
  });
});
