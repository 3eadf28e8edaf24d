import { createServer, get as httpGet, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Subject, type Subscription } from 'rxjs';
import { serveFeedbackEvents, type FeedbackEventsHandler } from '../../lib/node/serve-feedback-events.js';
import { fromFeedbackEvents } from '../../lib/webhook/from-feedback-events.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { sleep, waitFor } from '../webhook/http-test-server.js';

const LEVELS: readonly BackpressureLevel[] = ['ok', 'soft', 'hard'];

function event(i: number): FeedbackEvent {
  return createFeedbackEvent({
    coordinatorId: 'orders',
    level: LEVELS[i % 3]!,
    previousLevel: LEVELS[(i + 2) % 3]!,
    queueSize: i,
    capacity: 100,
    reason: null,
    source: 'coordinator',
    ts: 1_700_000_000_000 + i,
  });
}

describe('serveFeedbackEvents', () => {
  let server: Server | undefined;
  let handler: FeedbackEventsHandler | undefined;
  let client: Subscription | undefined;
  const sockets = new Set<Socket>();
  // Raw client responses: a paused one never reads the server's close, so its socket stays open
  // until it is destroyed here.
  const responses = new Set<IncomingMessage>();

  afterEach(async () => {
    client?.unsubscribe();
    client = undefined;
    for (const res of responses) res.destroy();
    responses.clear();
    handler?.close();
    handler = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(
    feedback$: Subject<FeedbackEvent> | FeedbackBus['feedback$'],
    heartbeatMs?: number,
  ): Promise<string> {
    handler = serveFeedbackEvents(feedback$, heartbeatMs === undefined ? {} : { heartbeatMs });
    const events = handler;
    server = createServer((req, res) =>
      req.url === '/events' ? events(req, res) : res.writeHead(404).end(),
    );
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  }

  /** A raw GET whose text is collected as it arrives. */
  function rawGet(url: string): Promise<{ res: IncomingMessage; text: () => string }> {
    return new Promise((resolve, reject) => {
      httpGet(url, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', () => undefined);
        responses.add(res);
        resolve({ res, text: () => text });
      }).on('error', reject);
    });
  }

  it('streams text/event-stream with one data line of toWire JSON per event, and heartbeats', async () => {
    const feedback = new Subject<FeedbackEvent>();
    const url = await serve(feedback, 30);
    const { res, text } = await rawGet(url);

    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toContain('no-cache');
    await waitFor(() => handler!.connections === 1);
    feedback.next(event(1));
    feedback.next(event(2));
    await waitFor(() => text().includes('"queue_size":2'));
    await waitFor(() => text().includes(': heartbeat'), 2_000, 'a heartbeat');

    const dataLines = text()
      .split('\n')
      .filter((line) => line.startsWith('data: '));
    expect(dataLines).toEqual([
      `data: ${JSON.stringify(toWire(event(1)))}`,
      `data: ${JSON.stringify(toWire(event(2)))}`,
    ]);
    expect(text().startsWith(': connected\n\n')).toBe(true);
    res.destroy();
  });

  it('a client sees the events in order', async () => {
    const bus = new FeedbackBus();
    const url = await serve(bus.feedback$);
    const received: FeedbackEvent[] = [];
    client = fromFeedbackEvents(url).subscribe((e) => received.push(e));
    await waitFor(() => handler!.connections === 1);

    const sent = Array.from({ length: 50 }, (_, i) => event(i));
    for (const e of sent) bus.publish(e);
    await waitFor(() => received.length === 50);

    expect(received).toEqual(sent);
  });

  it('a client reconnects after the server drops it', async () => {
    const feedback = new Subject<FeedbackEvent>();
    const url = await serve(feedback);
    const received: FeedbackEvent[] = [];
    let errored = false;
    client = fromFeedbackEvents(url, { reconnectMs: 50 }).subscribe({
      next: (e) => received.push(e),
      error: () => (errored = true),
    });
    await waitFor(() => handler!.connections === 1);
    feedback.next(event(1));
    await waitFor(() => received.length === 1);

    // Drop every connection, as a restarting server would.
    for (const socket of sockets) socket.destroy();
    await waitFor(() => handler!.connections === 0);
    await waitFor(() => handler!.connections === 1, 5_000, 'the reconnection');
    feedback.next(event(2));
    await waitFor(() => received.length === 2);

    // And once more through close(), which ends the streams cleanly.
    handler!.close();
    await waitFor(() => handler!.connections === 1, 5_000, 'the second reconnection');
    feedback.next(event(3));
    await waitFor(() => received.length === 3);

    expect(received.map((e) => e.queueSize)).toEqual([1, 2, 3]);
    expect(errored).toBe(false);
  });

  it('frees the connection and the subscription when the client leaves', async () => {
    const feedback = new Subject<FeedbackEvent>();
    handler = serveFeedbackEvents(feedback, { heartbeatMs: 20 });
    const events = handler;
    const streamSockets: Socket[] = [];
    server = createServer((req, res) => {
      streamSockets.push(req.socket);
      events(req, res);
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    client = fromFeedbackEvents(url).subscribe();
    await waitFor(() => handler!.connections === 1);
    expect(feedback.observed).toBe(true);

    client.unsubscribe();
    await waitFor(() => handler!.connections === 0, 2_000, 'the server to notice');

    expect(feedback.observed).toBe(false);
    expect(streamSockets).toHaveLength(1);
    await waitFor(() => streamSockets[0]!.destroyed, 2_000, 'the socket to close');
    // Heartbeats stopped with it, and nobody reconnected.
    await sleep(60);
    expect(handler.connections).toBe(0);
    expect(streamSockets).toHaveLength(1);
  });

  it('ends the streams when feedback$ completes', async () => {
    const feedback = new Subject<FeedbackEvent>();
    const url = await serve(feedback);
    const { res } = await rawGet(url);
    await waitFor(() => handler!.connections === 1);
    const ended = new Promise<void>((resolve) => res.on('end', resolve));

    feedback.complete();

    await ended;
    expect(handler!.connections).toBe(0);
  });

  it('closes a client that does not read once maxBufferedBytes are waiting', async () => {
    const feedback = new Subject<FeedbackEvent>();
    handler = serveFeedbackEvents(feedback, { maxBufferedBytes: 64 * 1024 });
    const events = handler;
    server = createServer((req, res) => events(req, res));
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { res } = await rawGet(url);
    res.pause();
    await waitFor(() => handler!.connections === 1);

    // About 250 bytes an event; socket buffers absorb some (bounded: 50 MB at most), the rest waits
    // in the response until the limit is crossed.
    for (let i = 0; i < 200_000 && handler.connections > 0; i++) feedback.next(event(i));

    expect(handler.connections).toBe(0);
    expect(feedback.observed).toBe(false);
  });

  it('answers 405 to other methods', async () => {
    const url = await serve(new Subject<FeedbackEvent>());
    const response = await fetch(url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  it('rejects bad arguments', () => {
    expect(() => serveFeedbackEvents(42 as never)).toThrow(/feedback\$ must be an Observable/);
    expect(() => serveFeedbackEvents(new Subject(), { heartbeatMs: -1 })).toThrow(/heartbeatMs/);
    expect(() => serveFeedbackEvents(new Subject(), { maxBufferedBytes: 0 })).toThrow(/maxBufferedBytes/);
  });

  it('rejects a heartbeatMs longer than a timer can wait (it would fire every millisecond)', () => {
    expect(() => serveFeedbackEvents(new Subject(), { heartbeatMs: 2 ** 31 })).toThrow(
      new RangeError('heartbeatMs must be at most 2147483647 ms (the longest timer delay), found 2147483648'),
    );
    expect(() => serveFeedbackEvents(new Subject(), { heartbeatMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
