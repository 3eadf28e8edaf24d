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

    const lines = text().split('\n');
    expect(lines.filter((line) => line.startsWith('data: '))).toEqual([
      `data: ${JSON.stringify(toWire(event(1)))}`,
      `data: ${JSON.stringify(toWire(event(2)))}`,
    ]);
    // Every event has an id, the same stream prefix with a rising sequence number.
    const ids = lines.filter((line) => line.startsWith('id: ')).map((line) => line.slice(4));
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[0-9a-f]+-1$/);
    expect(ids[1]).toBe(ids[0]!.replace(/-1$/, '-2'));
    expect(text().startsWith(': connected\nretry: 1000\n\n')).toBe(true);
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

    // It sent Last-Event-ID, so the snapshot on reconnection skipped event 1, which it had.
    expect(received.map((e) => e.queueSize)).toEqual([1, 2]);
    expect(errored).toBe(false);
  });

  it('close() ends every stream for good: later requests get 503, readers keep retrying', async () => {
    const feedback = new Subject<FeedbackEvent>();
    const url = await serve(feedback);
    let errored = false;
    client = fromFeedbackEvents(url, { reconnectMs: 20 }).subscribe({ error: () => (errored = true) });
    await waitFor(() => handler!.connections === 1);
    handler!.close();
    expect(handler!.connections).toBe(0);
    expect(feedback.observed).toBe(false);
    const response = await fetch(url);
    expect(response.status).toBe(503);
    await response.body?.cancel();
    await sleep(100);
    expect(handler!.connections).toBe(0);
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

    client.unsubscribe();
    await waitFor(() => handler!.connections === 0, 2_000, 'the server to notice');

    // The handler itself keeps listening, to know the latest events for the next client.
    expect(feedback.observed).toBe(true);
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

  describe('the latest event of every coordinator on connect', () => {
    const of = (id: string, i: number): FeedbackEvent => ({ ...event(i), coordinatorId: id });

    it('sends it first, then live events', async () => {
      const feedback = new Subject<FeedbackEvent>();
      const url = await serve(feedback);
      // Published before anyone connected: a coordinator that is hard right now, another one ok.
      feedback.next(of('a', 1));
      feedback.next(of('b', 2));
      feedback.next(of('a', 5));
      const received: FeedbackEvent[] = [];
      client = fromFeedbackEvents(url).subscribe((e) => received.push(e));
      await waitFor(() => received.length === 2);
      feedback.next(of('b', 7));
      await waitFor(() => received.length === 3);
      expect(received).toEqual([of('b', 2), of('a', 5), of('b', 7)]);
    });

    it('honours Last-Event-ID: only the coordinators whose latest event is newer', async () => {
      const feedback = new Subject<FeedbackEvent>();
      const url = await serve(feedback);
      feedback.next(of('a', 1));
      feedback.next(of('b', 2));
      const first = await rawGet(url);
      await waitFor(() => first.text().includes('"queue_size":2'));
      const lastId = /id: (\S+)\ndata: [^\n]*"queue_size":2/.exec(first.text())![1]!;
      first.res.destroy();
      feedback.next(of('c', 3));

      const again = await new Promise<{ text: () => string }>((resolve, reject) => {
        httpGet(url, { headers: { 'last-event-id': lastId } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          responses.add(res);
          resolve({ text: () => text });
        }).on('error', reject);
      });
      await waitFor(() => again.text().includes('"queue_size":3'));
      await sleep(50);
      expect(again.text()).not.toContain('"queue_size":1');
      expect(again.text()).not.toContain('"queue_size":2');
    });

    it('sends everything for an id of another stream (a restarted server)', async () => {
      const feedback = new Subject<FeedbackEvent>();
      const url = await serve(feedback);
      feedback.next(of('a', 1));
      feedback.next(of('b', 2));
      const response = await fetch(url, { headers: { 'last-event-id': 'ffff-1' } });
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('"queue_size":2')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(text).toContain('"queue_size":1');
    });
  });

  describe('slow clients', () => {
    it('coalesces the backlog of a client that keeps reading through a burst of more than 1 MiB, never cuts it', async () => {
      const feedback = new Subject<FeedbackEvent>();
      const url = await serve(feedback);
      const ids = ['a', 'b', 'c'];
      const received: FeedbackEvent[] = [];
      let connections = 0;
      server!.on('request', () => connections++);
      client = fromFeedbackEvents(url).subscribe((e) => received.push(e));
      await waitFor(() => handler!.connections === 1);

      // 20,000 events of about 300 bytes in one synchronous burst: about 6 MB.
      const total = 20_000;
      for (let i = 0; i < total; i++) feedback.next({ ...event(i), coordinatorId: ids[i % 3]! });
      await waitFor(
        () => received.length + handler!.coalesced === total,
        10_000,
        'every event delivered or replaced by a newer one',
      );
      expect(connections).toBe(1);
      expect(handler!.connections).toBe(1);
      // The newest event of each coordinator always arrives.
      for (const [k, id] of ids.entries()) {
        const newest = total - 1 - ((total - 1 - k) % 3);
        const lastOf = received.filter((e) => e.coordinatorId === id).at(-1);
        expect(lastOf?.queueSize).toBe(newest);
      }
    });

    it('disconnects a client whose backlog has not moved for stallTimeoutMs', async () => {
      const feedback = new Subject<FeedbackEvent>();
      handler = serveFeedbackEvents(feedback, { maxBufferedBytes: 64 * 1024, stallTimeoutMs: 200 });
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

      // Until the socket buffers are full, then the backlog coalesces (bounded: 1 event per
      // coordinator), then the stall timer cuts it. Bounded here too: at most 10 s of publishing.
      const deadline = Date.now() + 10_000;
      let i = 0;
      while (handler.connections > 0 && Date.now() < deadline) {
        for (let k = 0; k < 1_000; k++) feedback.next({ ...event(i++), coordinatorId: `c${k % 10}` });
        await sleep(5);
      }
      expect(handler.connections).toBe(0);
      expect(handler.coalesced).toBeGreaterThan(0);
    });
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
    expect(() => serveFeedbackEvents(new Subject(), { stallTimeoutMs: 0 })).toThrow(/stallTimeoutMs/);
    expect(() => serveFeedbackEvents(new Subject(), { retryMs: -1 })).toThrow(/retryMs/);
  });

  it('rejects a heartbeatMs longer than a timer can wait (it would fire every millisecond)', () => {
    expect(() => serveFeedbackEvents(new Subject(), { heartbeatMs: 2 ** 31 })).toThrow(
      new RangeError('heartbeatMs must be a finite number within [0, 2147483647], found 2147483648'),
    );
    expect(() => serveFeedbackEvents(new Subject(), { heartbeatMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
