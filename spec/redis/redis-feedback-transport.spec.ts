import { filter, firstValueFrom, Subject, take, toArray, type Observable } from 'rxjs';
import { redisFeedbackTransport } from '../../lib/redis/redis-feedback-transport.js';
import type { RedisClientLike } from '../../lib/redis/redis-client-like.js';
import type { FeedbackTransport } from '../../lib/fleet/feedback-transport.js';
import { fromTransport } from '../../lib/fleet/from-transport.js';
import { publishFeedback } from '../../lib/fleet/publish-feedback.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import type { FeedbackTransportError } from '../../lib/errors/feedback-transport-error.js';
import { sampleEvent } from '../support/sample-event.js';
import { describeWithServer, randomName } from '../support/services.js';
import { REDIS_CLIENTS, REDIS_PORT, type RedisClientKind } from './redis-clients.js';

/** The first event of `events$` matching `predicate`, or a failure naming what was awaited. */
function next(events$: Observable<FeedbackEvent>, predicate: (e: FeedbackEvent) => boolean, what: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The timer is cleared once the race is decided: a pending one would keep the jest worker alive.
  return Promise.race([
    firstValueFrom(events$.pipe(filter(predicate))),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5_000);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Replays a cold stream's events to late `next()` calls (a shared, recorded subscription). */
function record(events$: Observable<FeedbackEvent>) {
  const seen: FeedbackEvent[] = [];
  const subject = new Subject<FeedbackEvent>();
  const subscription = events$.subscribe((e) => {
    seen.push(e);
    subject.next(e);
  });
  const wait = (predicate: (e: FeedbackEvent) => boolean, what: string) => {
    const found = seen.find(predicate);
    return found ? Promise.resolve(found) : next(subject, predicate, what);
  };
  return { seen, wait, stop: () => subscription.unsubscribe() };
}

describeWithServer('redisFeedbackTransport (real Redis)', REDIS_PORT, () => {
  describe.each(REDIS_CLIENTS)('with $name', (kind: RedisClientKind) => {
    const opened: RedisClientLike[] = [];
    const transports: FeedbackTransport[] = [];
    let prefix: string;
    let admin: RedisClientLike;

    const connect = async (name?: string) => {
      const client = await kind.connect(name);
      opened.push(client);
      return client;
    };
    const transportOn = (
      client: RedisClientLike,
      extra: Partial<Parameters<typeof redisFeedbackTransport>[0]> = {},
    ) => {
      const transport = redisFeedbackTransport({ client, prefix, ...extra });
      transports.push(transport);
      return transport;
    };

    beforeEach(async () => {
      prefix = randomName('rxbp-spec');
      admin = await connect();
    });

    afterEach(async () => {
      for (const transport of transports.splice(0)) await transport.close();
      await kind.command(admin, ['DEL', `${prefix}:levels`]);
      for (const client of opened.splice(0).reverse()) await kind.close(client);
    });

    it('gives a late joiner every coordinator’s current level from the snapshot', async () => {
      const publisher = transportOn(await connect());
      await publisher.publish({
        v: 1,
        origin: 'a',
        seq: 1,
        event: toWireNow({ coordinatorId: 'orders', level: 'hard' }),
      });
      await publisher.publish({
        v: 1,
        origin: 'b',
        seq: 4,
        event: toWireNow({ coordinatorId: 'bars', level: 'soft' }),
      });
      await publisher.publish({
        v: 1,
        origin: 'a',
        seq: 2,
        event: toWireNow({ coordinatorId: 'orders', level: 'soft' }),
      });

      expect(await kind.command(admin, ['HLEN', `${prefix}:levels`])).toBe(2);
      const reader = transportOn(await connect());
      const events = await firstValueFrom(fromTransport(reader).pipe(take(2), toArray()));
      expect(events.map((e) => [e.coordinatorId, e.level]).sort()).toEqual([
        ['bars', 'soft'],
        ['orders', 'soft'],
      ]);
    });

    it('delivers live envelopes published with publishFeedback, in order', async () => {
      const reader = record(fromTransport(transportOn(await connect()), { staleAfterMs: 10_000 }));
      await new Promise((done) => setTimeout(done, 100)); // listening
      const feedback$ = new Subject<FeedbackEvent>();
      const publishing = publishFeedback(feedback$, transportOn(await connect()));
      feedback$.next(sampleEvent({ level: 'soft', reason: 'soft_watermark', ts: Date.now() }));
      await reader.wait((e) => e.level === 'soft', 'soft');
      feedback$.next(sampleEvent({ level: 'hard', ts: Date.now() }));
      feedback$.next(sampleEvent({ level: 'ok', reason: 'queue_recovered', ts: Date.now() }));
      await reader.wait((e) => e.level === 'ok', 'ok');
      publishing.unsubscribe();
      reader.stop();
      // The middle level may be coalesced away (newest pending wins); the order never inverts.
      const levels = reader.seen.map((e) => e.level);
      expect(levels[0]).toBe('soft');
      expect(levels[levels.length - 1]).toBe('ok');
    });

    it('recovers a level published while its subscriber was killed (CLIENT KILL TYPE pubsub), by a resync', async () => {
      const subscriberName = randomName('rxbp-sub').replace(/-/g, '_');
      const subscriber = await connect(subscriberName);
      const readerTransport = transportOn(await connect(), { subscriber });
      let snapshots = 0;
      const counted: FeedbackTransport = {
        publish: (e) => readerTransport.publish(e),
        snapshot: () => (snapshots++, readerTransport.snapshot()),
        listen: (o) => readerTransport.listen(o),
        close: () => readerTransport.close(),
      };
      const reader = record(fromTransport(counted, { staleAfterMs: 10_000 }));
      const publisherClient = await connect();
      const publisher = transportOn(publisherClient);
      await publisher.publish(envelope(1, 'hard'));
      await reader.wait((e) => e.level === 'hard', 'hard before the kill');
      const snapshotsBefore = snapshots;

      // Only our own subscriber connection: found by its name, killed by id and type.
      const list = String(await kind.command(admin, ['CLIENT', 'LIST', 'TYPE', 'pubsub']));
      const line = list.split('\n').find((l) => l.includes(`name=${subscriberName} `));
      expect(line).toBeDefined();
      const id = /\bid=(\d+)/.exec(line!)![1]!;
      // The kill and the publish go down one connection in this order: the PUBLISH finds no
      // subscriber, and only the hash keeps the new level.
      const json = JSON.stringify(envelope(2, 'soft'));
      const [killed, , receivers] = await Promise.all([
        kind.command(publisherClient, ['CLIENT', 'KILL', 'ID', id, 'TYPE', 'pubsub']),
        kind.command(publisherClient, ['HSET', `${prefix}:levels`, 'orders', json]),
        kind.command(publisherClient, ['PUBLISH', `${prefix}:feedback`, json]),
      ]);
      expect(killed).toBe(1);
      expect(receivers).toBe(0);

      await reader.wait((e) => e.level === 'soft', 'the level published during the gap');
      expect(snapshots).toBeGreaterThan(snapshotsBefore);
      // And the subscription itself is back.
      await publisher.publish(envelope(3, 'ok'));
      await reader.wait((e) => e.level === 'ok', 'a live envelope after the reconnect');
      reader.stop();
      expect(reader.seen.map((e) => e.level)).toEqual(['hard', 'soft', 'ok']);
    });

    it('reports a message that is not an envelope and goes on', async () => {
      const errors: FeedbackTransportError[] = [];
      const reader = record(fromTransport(transportOn(await connect(), { onError: (e) => errors.push(e) })));
      await new Promise((done) => setTimeout(done, 100));
      await kind.command(admin, ['PUBLISH', `${prefix}:feedback`, '{"v":1,"origin":"x"}']);
      await transportOn(await connect()).publish(envelope(1, 'hard'));
      await reader.wait((e) => e.level === 'hard', 'hard');
      reader.stop();
      expect(errors.map((e) => [e.operation, e.message])).toEqual([
        [
          'message',
          'Feedback transport message failed: FeedbackFormatError: Invalid feedback event: field "seq" expected an integer >= 0, found undefined',
        ],
      ]);
    });

    it('always listens for errors on the clients it uses, and never closes the clients it was given', async () => {
      const client = await connect();
      const before = (client as unknown as { listenerCount(e: string): number }).listenerCount('error');
      const transport = redisFeedbackTransport({ client, prefix });
      expect((client as unknown as { listenerCount(e: string): number }).listenerCount('error')).toBe(
        before + 1,
      );
      const listening = transport.listen({
        next: () => undefined,
        resync: () => undefined,
        error: () => undefined,
      });
      await transport.snapshot();
      listening.close();
      await transport.close();
      expect((client as unknown as { listenerCount(e: string): number }).listenerCount('error')).toBe(before);
      // The user's client still works; the subscriber the transport opened is gone.
      expect(await kind.command(client, ['PING'])).toBe('PONG');
      const subscribers = String(await kind.command(admin, ['PUBSUB', 'NUMSUB', `${prefix}:feedback`]));
      expect(subscribers).toBe(`${prefix}:feedback,0`);
      await expect(transport.publish(envelope(1, 'ok'))).rejects.toThrow(
        'Feedback transport publish failed: expected an open transport, found it closed',
      );
    });
  });

  it('refuses what is not a Redis client', () => {
    expect(() => redisFeedbackTransport({ client: {} as never })).toThrow(
      new TypeError(
        'client must be an ioredis or node-redis client (with multi and hgetall or hGetAll), found object',
      ),
    );
    expect(() => redisFeedbackTransport(undefined as never)).toThrow(TypeError);
  });
});

function toWireNow(overrides: Partial<FeedbackEvent>) {
  const event = sampleEvent({ ts: Date.now(), ...overrides });
  return {
    coordinator_id: event.coordinatorId,
    level: event.level,
    previous_level: event.previousLevel,
    queue_size: event.queueSize,
    capacity: event.capacity,
    utilization: event.utilization,
    reason: event.reason,
    source: event.source,
    ts: event.ts / 1000,
  };
}

function envelope(seq: number, level: FeedbackEvent['level']) {
  return { v: 1 as const, origin: 'spec', seq, event: toWireNow({ level }) };
}
