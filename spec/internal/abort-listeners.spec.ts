import { getEventListeners, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onAbort } from '../../lib/internal/abort-listeners.js';
import { BoundedQueue } from '../../lib/queue/bounded-queue.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { sampleEvent } from '../support/sample-event.js';

// Node warns ("Possible EventTarget memory leak detected") once a signal holds more than ten
// listeners. The warning goes to the real process, out of jest's sandbox, so the specs count the
// listeners on the signal instead.
function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('onAbort', () => {
  it('runs every listener once when the signal aborts', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    onAbort(controller.signal, () => calls.push(1));
    onAbort(controller.signal, () => calls.push(2));
    controller.abort();
    controller.abort();
    expect(calls).toEqual([1, 2]);
  });

  it('does not run a listener that stopped listening', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const stop = onAbort(controller.signal, () => calls.push(1));
    onAbort(controller.signal, () => calls.push(2));
    stop();
    stop();
    controller.abort();
    expect(calls).toEqual([2]);
  });

  it('counts one function registered twice as two registrations', () => {
    const controller = new AbortController();
    let calls = 0;
    const listener = (): number => calls++;
    const stop = onAbort(controller.signal, listener);
    onAbort(controller.signal, listener);
    stop();
    controller.abort();
    expect(calls).toBe(1);
  });

  it('listens again after every caller left', () => {
    const controller = new AbortController();
    let calls = 0;
    onAbort(controller.signal, () => calls++)();
    onAbort(controller.signal, () => calls++);
    controller.abort();
    expect(calls).toBe(1);
  });

  it('holds one listener on the signal for a thousand callers, none once they left', () => {
    const controller = new AbortController();
    const stops = Array.from({ length: 1_000 }, () => onAbort(controller.signal, () => undefined));
    expect(abortListeners(controller.signal)).toBe(1);
    for (const stop of stops) stop();
    expect(abortListeners(controller.signal)).toBe(0);
  });
});

describe('no more than one abort listener on a shared signal', () => {
  it('with one AbortSignal shared by 20 blocked offers of a BoundedQueue', async () => {
    const controller = new AbortController();
    const queue = new BoundedQueue<number>({ capacity: 1 });
    queue.tryOffer(0);
    const offers: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) offers.push(queue.offer(i, { signal: controller.signal }));
    expect(abortListeners(controller.signal)).toBe(1);
    controller.abort(new Error('cancelled'));
    const outcomes = await Promise.allSettled(offers);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
  });

  it('with one AbortSignal shared by 20 blocked submits of a WriteCoordinator', async () => {
    const controller = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const coordinator = new WriteCoordinator<number>({
      sink: () => held,
      capacity: 1,
      workers: 1,
      batchSize: 1,
      bus: null,
    });
    coordinator.start();
    const submits: Promise<void>[] = [];
    let listeners: number;
    let outcomes: PromiseSettledResult<void>[];
    try {
      for (let i = 0; i < 21; i++) submits.push(coordinator.submit(i, { signal: controller.signal }));
      listeners = abortListeners(controller.signal);
      controller.abort(new Error('cancelled'));
      outcomes = await Promise.allSettled(submits);
    } finally {
      release();
      await coordinator.stop({ drain: true, timeoutMs: 1_000 });
    }
    expect(listeners).toBe(1);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(20);
  });

  it('with 20 broadcaster deliveries in flight', async () => {
    const held: Array<() => void> = [];
    let listenersWithAllInFlight = -1;
    const server: Server = createServer((_req, res) => {
      held.push(() => res.writeHead(204).end());
      if (held.length < 20) return;
      listenersWithAllInFlight = abortListeners(stopSignalOf(broadcaster));
      for (const answer of held) answer();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feedback`;
    const bus = new FeedbackBus();
    const broadcaster = new HttpFeedbackBroadcaster({ url }).start(bus);
    // The stop signal every delivery listens to is private; read it for the count.
    const stopSignalOf = (b: HttpFeedbackBroadcaster): AbortSignal =>
      (b as unknown as { stopController: AbortController }).stopController.signal;
    let delivered = 0;
    broadcaster.delivered$.subscribe(() => delivered++);
    try {
      for (let i = 0; i < 20; i++) bus.publish(sampleEvent({ coordinatorId: `c${i}`, ts: Date.now() }));
      const deadline = Date.now() + 10_000;
      while (delivered < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(delivered).toBe(20);
      expect(listenersWithAllInFlight).toBe(1);
    } finally {
      broadcaster.stop();
      server.closeAllConnections();
      server.close();
    }
  });
});
