import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  natsKvFeedbackTransport,
  type NatsKvFeedbackTransportOptions,
} from '../../lib/nats/nats-kv-feedback-transport.js';
import { toKvKey } from '../../lib/nats/kv-key.js';
import type { FeedbackTransport } from '../../lib/fleet/feedback-transport.js';
import { fromTransport } from '../../lib/fleet/from-transport.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import type { FeedbackTransportError } from '../../lib/errors/feedback-transport-error.js';
import { toWire } from '../../lib/feedback/wire.js';
import { sampleEvent } from '../support/sample-event.js';
import { describeWithServer, randomName } from '../support/services.js';
import { recordEvents } from '../support/record-events.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { GatedProxy, NATS_PORT, PrivateNatsServer } from './nats-server.js';

const envelope = (seq: number, level: FeedbackEvent['level'], coordinatorId = 'orders') => ({
  v: 1 as const,
  origin: 'spec',
  seq,
  event: toWire(sampleEvent({ coordinatorId, level, ts: Date.now() })),
});

describe('toKvKey', () => {
  it('keeps plain ids and escapes everything a KV key cannot hold, keeping ids apart', () => {
    expect(toKvKey('orders-eu_1')).toBe('orders-eu_1');
    expect(toKvKey('db.main/1 é=')).toBe('db=2emain=2f1=20=c3=a9=3d');
    expect(toKvKey('a.b')).not.toBe(toKvKey('a=2eb=')); // '=' itself is escaped
  });
});

/**
 * A connection to a server that has no KV: every attempt to open the bucket fails at once, without
 * any network, and is counted. Its status stream stays silent until stopped.
 */
function connectionWithoutKv(): { connection: NatsConnection; attempts: () => number } {
  let attempts = 0;
  const fake = {
    options: {},
    features: {
      get: () => {
        attempts++;
        return { ok: false, min: '2.6.2' };
      },
    },
    isClosed: () => false,
    status: () => {
      let stop = () => undefined as void;
      const stopped = new Promise<IteratorResult<never>>((resolve) => {
        stop = () => resolve({ done: true, value: undefined });
      });
      return { stop, [Symbol.asyncIterator]: () => ({ next: () => stopped }) };
    },
  };
  return { connection: fake as unknown as NatsConnection, attempts: () => attempts };
}

const silentObserver = { next: () => undefined, resync: () => undefined, error: () => undefined };

describe('natsKvFeedbackTransport re-watching (a fake connection, virtual time)', () => {
  const opened: FeedbackTransport[] = [];
  // Closed even when an expectation fails, so that no re-watch loop outlives its test.
  afterEach(async () => {
    for (const transport of opened.splice(0)) await transport.close();
  });
  const fakeTransport = (options: Omit<NatsKvFeedbackTransportOptions, 'connection'>) => {
    const { connection, attempts } = connectionWithoutKv();
    const transport = natsKvFeedbackTransport({ connection, onError: () => undefined, ...options });
    opened.push(transport);
    return { transport, attempts };
  };

  it('waits rewatchDelayMs on its scheduler before it opens the bucket again', async () => {
    const clock = new VirtualClock();
    const errors: FeedbackTransportError[] = [];
    const { transport, attempts } = fakeTransport({
      onError: (e) => errors.push(e),
      rewatchDelayMs: 1_000,
      scheduler: clock,
    });
    transport.listen(silentObserver);
    await clock.settle();
    expect(attempts()).toBe(1);
    expect(errors.map((e) => [e.operation, e.message])).toEqual([
      ['listen', 'Feedback transport listen failed: Error: kv is only supported on servers 2.6.2 or better'],
    ]);
    expect(clock.pending).toBe(1);

    await clock.advance(999);
    expect(attempts()).toBe(1);
    await clock.advance(1);
    expect(attempts()).toBe(2);
    await clock.advance(1_000);
    expect(attempts()).toBe(3);
    expect(errors).toHaveLength(3);
  });

  it('ends a pending wait at once on close() and cancels its timer', async () => {
    const clock = new VirtualClock();
    const { transport, attempts } = fakeTransport({ scheduler: clock });
    transport.listen(silentObserver);
    await clock.settle();
    expect(clock.pending).toBe(1);

    let closed = false;
    void transport.close().then(() => (closed = true));
    await clock.settle(); // no virtual time passes
    expect(closed).toBe(true);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(attempts()).toBe(1);
  });

  it('refuses a bad scheduler or rewatchDelayMs, saying what it found', () => {
    const { connection } = connectionWithoutKv();
    expect(() => natsKvFeedbackTransport({ connection, scheduler: {} as never })).toThrow(
      new TypeError('scheduler must be an rxjs SchedulerLike (with schedule and now), found object'),
    );
    expect(() => natsKvFeedbackTransport({ connection, scheduler: { schedule() {} } as never })).toThrow(
      TypeError,
    );
    expect(() => natsKvFeedbackTransport({ connection, rewatchDelayMs: '5' as never })).toThrow(
      new TypeError('rewatchDelayMs must be a number, found string "5"'),
    );
    expect(() => natsKvFeedbackTransport({ connection, rewatchDelayMs: -1 })).toThrow(
      new RangeError('rewatchDelayMs must be a finite number within [0, 2147483647], found -1'),
    );
  });
});

describeWithServer('natsKvFeedbackTransport (real NATS JetStream)', NATS_PORT, () => {
  const connections: NatsConnection[] = [];
  const transports: FeedbackTransport[] = [];
  let bucket: string;

  const open = async (servers = `127.0.0.1:${NATS_PORT}`, reconnectTimeWait = 100) => {
    const connection = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait });
    connections.push(connection);
    return connection;
  };
  const transportOn = (connection: NatsConnection, onError?: (e: FeedbackTransportError) => void) => {
    const transport = natsKvFeedbackTransport({ connection, bucket, onError, rewatchDelayMs: 100 });
    transports.push(transport);
    return transport;
  };

  beforeEach(() => {
    bucket = randomName('rxbp-spec');
  });

  afterEach(async () => {
    for (const transport of transports.splice(0)) await transport.close();
    const [first] = connections;
    if (first && !first.isClosed()) {
      await (await new Kvm(first).open(bucket)).destroy().catch(() => undefined);
    }
    for (const connection of connections.splice(0)) if (!connection.isClosed()) await connection.close();
  });

  it('gives a late joiner every coordinator’s current level from the snapshot (history 1)', async () => {
    const publisher = transportOn(await open());
    await publisher.publish(envelope(1, 'hard', 'orders'));
    await publisher.publish(envelope(1, 'soft', 'bars'));
    await publisher.publish(envelope(2, 'soft', 'orders'));
    const status = await (await new Kvm(connections[0]!).open(bucket)).status();
    expect(status.history).toBe(1);
    expect(status.values).toBe(2);

    const reader = transportOn(await open());
    const events = await firstValueFrom(fromTransport(reader).pipe(take(2), toArray()));
    expect(events.map((e) => [e.coordinatorId, e.level]).sort()).toEqual([
      ['bars', 'soft'],
      ['orders', 'soft'],
    ]);
  });

  it('delivers live updates through the watch', async () => {
    const reader = recordEvents(fromTransport(transportOn(await open()), { staleAfterMs: 10_000 }));
    const publisher = transportOn(await open());
    await publisher.publish(envelope(1, 'soft'));
    await reader.wait((e) => e.level === 'soft', 'soft');
    await publisher.publish(envelope(2, 'hard'));
    await reader.wait((e) => e.level === 'hard', 'hard');
    reader.stop();
    expect(reader.seen.map((e) => e.level)).toEqual(['soft', 'hard']);
  });

  it('reports a value that is not an envelope and goes on', async () => {
    const errors: FeedbackTransportError[] = [];
    const connection = await open();
    const reader = recordEvents(fromTransport(transportOn(connection, (e) => errors.push(e))));
    const publisher = transportOn(await open());
    await publisher.publish(envelope(1, 'ok'));
    await (await new Kvm(connection).open(bucket)).put('junk', 'not json');
    await publisher.publish(envelope(2, 'hard'));
    await reader.wait((e) => e.level === 'hard', 'hard');
    reader.stop();
    expect(errors.map((e) => e.operation)).toContain('message');
    expect(errors[0]!.message).toMatch(/^Feedback transport message failed: SyntaxError/);
  });

  it('never closes the connection it was given', async () => {
    const connection = await open();
    const transport = natsKvFeedbackTransport({ connection, bucket });
    transport.listen({ next: () => undefined, resync: () => undefined, error: () => undefined });
    await transport.snapshot();
    await transport.close();
    expect(connection.isClosed()).toBe(false);
    await expect(transport.snapshot()).rejects.toThrow('expected an open transport, found it closed');
  });

  it('refuses a bad connection or bucket', () => {
    expect(() => natsKvFeedbackTransport({ connection: {} as never })).toThrow(
      new TypeError('connection must be a NATS connection (from connect()), found object'),
    );
    expect(() =>
      natsKvFeedbackTransport({
        connection: connections[0] ?? ({ status() {}, isClosed() {} } as never),
        bucket: 'a.b',
      }),
    ).toThrow(new TypeError(`bucket must be a name of letters, digits, '-' and '_', found string "a.b"`));
  });

  describe('across a server restart (a private nats-server)', () => {
    let server: PrivateNatsServer;
    let proxy: GatedProxy;
    beforeEach(async () => {
      server = await PrivateNatsServer.start();
      proxy = await GatedProxy.start(server.port);
    });
    afterEach(async () => {
      for (const transport of transports.splice(0)) await transport.close();
      for (const connection of connections.splice(0)) if (!connection.isClosed()) await connection.close();
      await proxy.close();
      await server.destroy();
    });

    it('resyncs after the reconnect and recovers a level published while the reader was away', async () => {
      // The reader reaches the server through a proxy that keeps it away until the publisher has
      // published after the restart; the publisher connects directly.
      const readerConnection = await open(proxy.url, 100);
      const statuses: string[] = [];
      void (async () => {
        for await (const s of readerConnection.status()) statuses.push(s.type);
      })();
      const reader = recordEvents(fromTransport(transportOn(readerConnection), { staleAfterMs: 30_000 }));
      const publisherConnection = await open(server.url, 50);
      const publisher = transportOn(publisherConnection);
      await publisher.publish(envelope(1, 'hard'));
      await reader.wait((e) => e.level === 'hard', 'hard before the restart');

      proxy.refuse();
      await server.restart();
      // Publish as soon as the publisher is back (JetStream may need a moment to be ready).
      const until = Date.now() + 10_000;
      for (;;) {
        try {
          await publisher.publish(envelope(2, 'soft'));
          break;
        } catch (error) {
          if (Date.now() > until) throw error;
          await new Promise((done) => setTimeout(done, 100));
        }
      }
      expect(statuses).not.toContain('reconnect'); // the reader was still away: a real gap
      expect(reader.seen.map((e) => e.level)).toEqual(['hard']);
      proxy.accept();

      await reader.wait((e) => e.level === 'soft', 'the level published during the gap', 15_000);
      expect(statuses).toContain('reconnect');
      // Live updates flow again after the reconnect.
      await publisher.publish(envelope(3, 'ok'));
      await reader.wait((e) => e.level === 'ok', 'a live update after the reconnect');
      reader.stop();
      expect(reader.seen.map((e) => e.level)).toEqual(['hard', 'soft', 'ok']);
    }, 40_000);
  });
});
