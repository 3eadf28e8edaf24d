import { Subject, config, throwError } from 'rxjs';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { isFeedbackFormatError } from '../../lib/errors/feedback-format-error.js';
import { sleep, startTestServer, waitFor, type TestServer } from './http-test-server.js';
import { sampleEvent } from '../support/sample-event.js';
import { recordDeliveries } from '../support/record-deliveries.js';

// Stop during signing, fetch doubles that ignore their signal, a source that errors, timer bounds,
// signing failures and malformed events.

const MAX_TIMER_MS = 2_147_483_647;

const event = sampleEvent;

const record = recordDeliveries;

/**
 * Settles like `promise`, or with 'hung' after `ms`: a hang fails an assertion, not the timeout.
 * The timer is cleared once the race settles, so no test leaves it running (a worker whose last
 * file left one could not exit in time: "A worker process has failed to exit gracefully").
 */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fetch double that ignores its signal: it answers only when the test says so, if ever. */
function deafFetch(): {
  fetch: typeof fetch;
  calls: number;
  answer: (response: () => Response) => void;
} {
  const pending: ((response: Response) => void)[] = [];
  const double = {
    calls: 0,
    fetch: (() => {
      double.calls++;
      return new Promise<Response>((resolve) => pending.push(resolve));
    }) as typeof fetch,
    answer: (response: () => Response) => pending.splice(0).forEach((resolve) => resolve(response())),
  };
  return double;
}

describe('HttpFeedbackBroadcaster robustness', () => {
  let server: TestServer | undefined;
  let broadcaster: HttpFeedbackBroadcaster | undefined;
  const previousOnUnhandledError = config.onUnhandledError;

  afterEach(async () => {
    config.onUnhandledError = previousOnUnhandledError;
    jest.restoreAllMocks();
    broadcaster?.stop();
    broadcaster = undefined;
    await server?.close();
    server = undefined;
  });

  describe('stop() while a request is being signed', () => {
    it('sends nothing when stop() follows broadcastOne() at once', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, secret: 's3cret' });
      const { delivered, failed } = record(broadcaster);

      const result = broadcaster.broadcastOne(event());
      broadcaster.stop();

      await expect(result).resolves.toBe(false);
      await sleep(100);
      expect(server.requests).toHaveLength(0);
      expect(delivered).toHaveLength(0);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 1, status: null, superseded: false });
      expect(failed[0]!.error.kind).toBe('aborted');
      expect(broadcaster.inFlight).toBe(0);
    });

    it('sends nothing when stop() comes while a bus event is being signed', async () => {
      server = await startTestServer((_req, res) => res.writeHead(204).end());
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url, secret: 's3cret' }).start(bus);
      const { delivered, failed } = record(broadcaster);

      bus.publish(event());
      // The lane starts in a microtask queued before this one: it is now awaiting the signature.
      await Promise.resolve();
      expect(broadcaster.inFlight).toBe(1);
      broadcaster.stop();

      await waitFor(() => failed.length === 1);
      await sleep(100);
      expect(failed[0]!.error.kind).toBe('aborted');
      expect(server.requests).toHaveLength(0);
      expect(delivered).toHaveLength(0);
      expect(broadcaster.inFlight).toBe(0);
    });
  });

  describe('a fetch that ignores its signal', () => {
    it('cannot outlast timeoutMs: each attempt times out and the delivery fails', async () => {
      const double = deafFetch();
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        timeoutMs: 100,
        maxRetries: 2,
        backoffMs: 10,
        fetch: double.fetch,
      });
      const { failed } = record(broadcaster);

      await expect(within(broadcaster.broadcastOne(event()), 4_000)).resolves.toBe(false);

      expect(double.calls).toBe(2);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.error.kind).toBe('timeout');
      expect(failed[0]!.attempts).toBe(2);
      expect(broadcaster.inFlight).toBe(0);
    });

    it('cannot outlast stop()', async () => {
      const double = deafFetch();
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        timeoutMs: 60_000,
        fetch: double.fetch,
      });
      const { failed } = record(broadcaster);

      const result = broadcaster.broadcastOne(event());
      await waitFor(() => double.calls === 1);
      broadcaster.stop();

      await expect(within(result, 2_000)).resolves.toBe(false);
      expect(failed[0]!.error.kind).toBe('aborted');
      expect(broadcaster.inFlight).toBe(0);
    });

    it('frees the lane for the next event, and cancels the body of a response that comes too late', async () => {
      const double = deafFetch();
      const bus = new FeedbackBus();
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        timeoutMs: 100,
        maxRetries: 1,
        fetch: double.fetch,
      }).start(bus);
      const { failed } = record(broadcaster);

      bus.publish(event({ queueSize: 1 }));
      await waitFor(() => double.calls === 1);
      bus.publish(event({ queueSize: 2 }));
      // The first attempt times out although fetch never settles; the pending event goes next.
      await waitFor(() => double.calls === 2, 4_000, 'the second request');
      await waitFor(() => failed.length === 2, 4_000, 'the second timeout');
      expect(failed.map((f) => [f.event.queueSize, f.error.kind])).toEqual([
        [1, 'timeout'],
        [2, 'timeout'],
      ]);
      expect(broadcaster.inFlight).toBe(0);

      let cancelled = 0;
      double.answer(
        () => new Response(new ReadableStream({ cancel: () => void cancelled++ }), { status: 200 }),
      );
      await waitFor(() => cancelled === 2, 2_000, 'both late bodies to be cancelled');
      expect(broadcaster.inFlight).toBe(0);
    });
  });

  describe('start() on a source that ends', () => {
    it('reports a source error through RxJS, clears started, and can start again', async () => {
      const unhandled: unknown[] = [];
      config.onUnhandledError = (error) => unhandled.push(error);
      broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:9/feedback' });
      const source = new Subject<FeedbackEvent>();
      broadcaster.start(source);
      expect(broadcaster.started).toBe(true);

      const boom = new Error('source broke');
      source.error(boom);

      expect(broadcaster.started).toBe(false);
      await waitFor(() => unhandled.length === 1);
      expect(unhandled[0]).toBe(boom);
      const next = new Subject<FeedbackEvent>();
      expect(() => broadcaster!.start(next)).not.toThrow();
      expect(broadcaster.started).toBe(true);
      expect(next.observed).toBe(true);
    });

    it('handles a source that errors during subscribe', async () => {
      const unhandled: unknown[] = [];
      config.onUnhandledError = (error) => unhandled.push(error);
      broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:9/feedback' });
      const boom = new Error('at once');

      broadcaster.start(throwError(() => boom));

      expect(broadcaster.started).toBe(false);
      await waitFor(() => unhandled.length === 1);
      expect(unhandled[0]).toBe(boom);
    });

    it('clears started when the source completes, and finishes the delivery under way', async () => {
      let release: (() => void) | undefined;
      server = await startTestServer((_req, res) => {
        release = () => res.writeHead(204).end();
      });
      broadcaster = new HttpFeedbackBroadcaster({ url: server.url });
      const { delivered } = record(broadcaster);
      const source = new Subject<FeedbackEvent>();
      broadcaster.start(source);

      source.next(event());
      await waitFor(() => release !== undefined);
      source.complete();
      expect(broadcaster.started).toBe(false);
      release!();

      await waitFor(() => delivered.length === 1);
      expect(delivered[0]!.status).toBe(204);
    });

    it('is not cleared by the end of a source it was stopped from', () => {
      broadcaster = new HttpFeedbackBroadcaster({ url: 'http://127.0.0.1:9/feedback' });
      const old = new Subject<FeedbackEvent>();
      broadcaster.start(old);
      broadcaster.stop();
      const current = new Subject<FeedbackEvent>();
      broadcaster.start(current);
      old.complete();
      expect(broadcaster.started).toBe(true);
    });
  });

  describe('timer bounds', () => {
    it.each([
      ['timeoutMs', MAX_TIMER_MS + 1],
      ['backoffMs', MAX_TIMER_MS + 1],
      ['maxRetryAfterMs', MAX_TIMER_MS + 1],
      ['timeoutMs', 1e12],
    ])('rejects %s = %p, longer than a timer can wait', (name, value) => {
      expect(() => new HttpFeedbackBroadcaster({ url: 'http://h/', [name]: value })).toThrow(
        new RangeError(
          `${name} must be a finite number within ${name === 'timeoutMs' ? '(0' : '[0'}, 2147483647], found ${value}`,
        ),
      );
    });

    it('accepts the longest timer delay', () => {
      expect(
        () =>
          new HttpFeedbackBroadcaster({
            url: 'http://h/',
            timeoutMs: MAX_TIMER_MS,
            backoffMs: MAX_TIMER_MS,
            maxRetryAfterMs: MAX_TIMER_MS,
          }),
      ).not.toThrow();
    });

    it('never asks a timer for more than 2147483647 ms when the backoff doubles', async () => {
      const delays: number[] = [];
      const realSetTimeout = globalThis.setTimeout;
      const realSetInterval = globalThis.setInterval;
      // Records each delay, then waits 1 ms instead of days, so that the retries happen now. The
      // backoff sleeps on rxjs's asyncScheduler, whose timers are intervals.
      jest
        .spyOn(globalThis, 'setTimeout')
        .mockImplementation((handler: () => void, ms?: number): ReturnType<typeof setTimeout> => {
          delays.push(ms ?? 0);
          return realSetTimeout(handler, (ms ?? 0) > 10_000 ? 1 : ms);
        });
      jest
        .spyOn(globalThis, 'setInterval')
        .mockImplementation((handler: () => void, ms?: number): ReturnType<typeof setInterval> => {
          delays.push(ms ?? 0);
          return realSetInterval(handler, (ms ?? 0) > 10_000 ? 1 : ms);
        });
      let calls = 0;
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        maxRetries: 4,
        backoffMs: 1_500_000_000,
        fetch: () => {
          calls++;
          return Promise.resolve(new Response(null, { status: 503 }));
        },
      });

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(calls).toBe(4);
      const backoffs = delays.filter((ms) => ms >= 1_000_000_000);
      expect(backoffs).toEqual([1_500_000_000, MAX_TIMER_MS, MAX_TIMER_MS]);
      expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    });
  });

  describe('what cannot be sent', () => {
    it("reports a signing failure with its own kind, 'signing', without sending or retrying", async () => {
      jest.spyOn(globalThis.crypto.subtle, 'sign').mockRejectedValue(new Error('no key for you'));
      let calls = 0;
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        secret: 's3cret',
        fetch: () => {
          calls++;
          return Promise.resolve(new Response(null, { status: 204 }));
        },
      });
      const { failed } = record(broadcaster);

      await expect(broadcaster.broadcastOne(event())).resolves.toBe(false);

      expect(calls).toBe(0);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ attempts: 1, status: null });
      expect(failed[0]!.error.kind).toBe('signing');
      expect(failed[0]!.error.message).toContain('no request sent: signing it failed (no key for you)');
    });

    it('rejects broadcastOne with a FeedbackFormatError for a malformed event, and sends nothing', async () => {
      let calls = 0;
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        fetch: () => {
          calls++;
          return Promise.resolve(new Response(null, { status: 204 }));
        },
      });
      const { delivered, failed } = record(broadcaster);
      const malformed = { ...event(), level: 'panic' } as unknown as FeedbackEvent;

      const error = await broadcaster.broadcastOne(malformed).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(isFeedbackFormatError(error)).toBe(true);
      expect((error as Error).message).toContain('level');
      expect(calls).toBe(0);
      expect(delivered).toHaveLength(0);
      expect(failed).toHaveLength(0);
      expect(broadcaster.inFlight).toBe(0);
    });

    it('never sees a malformed bus event (the bus refuses it on its errors$) and sends the next one', async () => {
      const busErrors: unknown[] = [];
      const bodies: unknown[] = [];
      const bus = new FeedbackBus();
      bus.errors$.subscribe((e) => busErrors.push(e));
      broadcaster = new HttpFeedbackBroadcaster({
        url: 'http://127.0.0.1:9/feedback',
        fetch: (_url, init) => {
          bodies.push(JSON.parse(init?.body as string));
          return Promise.resolve(new Response(null, { status: 204 }));
        },
      }).start(bus);
      const { delivered } = record(broadcaster);

      bus.publish({ ...event(), queueSize: -5 });
      bus.publish(event({ queueSize: 7 }));
      await waitFor(() => delivered.length === 1);

      expect(busErrors).toHaveLength(1);
      expect(isFeedbackFormatError(busErrors[0])).toBe(true);
      expect(bodies).toEqual([expect.objectContaining({ queue_size: 7 })]);
    });
  });
});
