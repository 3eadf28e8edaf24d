import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import fc from 'fast-check';
import { config } from 'rxjs';
import {
  createFeedbackReceiver,
  type FeedbackReceiver,
  type FeedbackRejection,
} from '../../lib/node/feedback-receiver.js';
import { signFeedback } from '../../lib/webhook/feedback-signature.js';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { fromWire, toWire } from '../../lib/feedback/wire.js';
import { sleep, waitFor } from '../webhook/http-test-server.js';
import { sampleEvent } from '../support/sample-event.js';

const EVENT = sampleEvent();
const BODY = JSON.stringify(toWire(EVENT));

interface Harness {
  receiver: FeedbackReceiver;
  url: string;
  port: number;
  events: FeedbackEvent[];
  rejections: FeedbackRejection[];
  /** Bytes the server let the receiver read, per request. */
  bytesRead: number[];
}

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('createFeedbackReceiver', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function start(
    options: Parameters<typeof createFeedbackReceiver>[0] = {},
    before?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void,
  ): Promise<Harness> {
    const receiver = createFeedbackReceiver(options);
    const events: FeedbackEvent[] = [];
    const rejections: FeedbackRejection[] = [];
    const bytesRead: number[] = [];
    receiver.feedback$.subscribe((e) => events.push(e));
    receiver.rejected$.subscribe((r) => rejections.push(r));
    server = createServer((req, res) => {
      let read = 0;
      req.on('data', (chunk: Buffer) => (read += chunk.length));
      res.on('finish', () => bytesRead.push(read));
      if (before) before(req, res, () => receiver.handler(req, res));
      else receiver.handler(req, res);
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { receiver, url: `http://127.0.0.1:${port}/feedback`, port, events, rejections, bytesRead };
  }

  async function post(
    url: string,
    body: string | Uint8Array,
    headers: Record<string, string> = { 'content-type': 'application/json' },
    method = 'POST',
  ): Promise<Reply> {
    const response = await fetch(url, {
      method,
      headers,
      body: method === 'GET' ? undefined : (body as BodyInit),
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  }

  describe('accepted events', () => {
    it('emits a valid event on feedback$ and answers 204', async () => {
      const h = await start();
      const reply = await post(h.url, BODY);
      expect(reply.status).toBe(204);
      expect(reply.body).toBe('');
      expect(h.events).toEqual([EVENT]);
      expect(Object.isFrozen(h.events[0])).toBe(true);
      expect(h.rejections).toEqual([]);
    });

    it('accepts a charset parameter and +json media types', async () => {
      const h = await start();
      expect((await post(h.url, BODY, { 'content-type': 'Application/JSON; charset=utf-8' })).status).toBe(
        204,
      );
      expect((await post(h.url, BODY, { 'content-type': 'application/feedback+json' })).status).toBe(204);
      expect(h.events).toHaveLength(2);
    });

    it('accepts a signed event when a secret is set', async () => {
      const h = await start({ secret: 's3cret' });
      const signature = await signFeedback(BODY, 's3cret');
      const reply = await post(h.url, BODY, {
        'content-type': 'application/json',
        'x-feedback-signature': signature,
      });
      expect(reply.status).toBe(204);
      expect(h.events).toEqual([EVENT]);
    });

    it('receives what HttpFeedbackBroadcaster sends, signed', async () => {
      const h = await start({ secret: 's3cret' });
      const broadcaster = new HttpFeedbackBroadcaster({ url: h.url, secret: 's3cret' });
      await expect(broadcaster.broadcastOne(EVENT)).resolves.toBe(true);
      expect(h.events).toEqual([EVENT]);
    });
  });

  describe('status codes', () => {
    it('answers 405 with Allow: POST for other methods', async () => {
      const h = await start();
      const reply = await post(h.url, '', {}, 'GET');
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('POST');
      expect(JSON.parse(reply.body)).toEqual({
        error: expect.stringContaining('expected method POST') as unknown,
      });
      expect((await post(h.url, BODY, { 'content-type': 'application/json' }, 'PUT')).status).toBe(405);
      expect(h.rejections.map((r) => r.status)).toEqual([405, 405]);
    });

    it('answers 415 for a body that is not JSON, or without a content type', async () => {
      const h = await start();
      expect((await post(h.url, BODY, { 'content-type': 'text/plain' })).status).toBe(415);
      expect((await post(h.url, BODY, { 'content-type': 'application/jsonx' })).status).toBe(415);
      expect((await post(h.url, new TextEncoder().encode(BODY), {})).status).toBe(415);
      expect(h.events).toEqual([]);
    });

    it('answers 413 from content-length alone, before reading', async () => {
      const h = await start({ maxBodyBytes: 100 });
      const reply = await post(h.url, 'x'.repeat(101));
      expect(reply.status).toBe(413);
      expect(reply.headers.connection).toBe('close');
      expect(h.bytesRead[0]).toBeLessThanOrEqual(101);
    });

    it('answers 413 to a body over the limit sent slowly without content-length, and stops reading', async () => {
      const h = await start({ maxBodyBytes: 4_096 });
      const chunk = 'x'.repeat(1_024);
      const reply = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
        let sent = 0;
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: h.port,
            path: '/feedback',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode!, sent });
          },
        );
        req.on('error', () => undefined);
        // 100 chunks, 20 ms apart: 2 s if the server read it all.
        const timer = setInterval(() => {
          if (sent >= 100 || req.destroyed) {
            clearInterval(timer);
            if (!req.destroyed) req.end();
            return;
          }
          req.write(chunk);
          sent++;
        }, 20);
        setTimeout(() => reject(new Error('no response')), 10_000).unref();
      });
      expect(reply.status).toBe(413);
      expect(reply.sent).toBeLessThan(20); // answered long before the 100 chunks (2 s) were sent
      await waitFor(() => h.bytesRead.length === 1);
      expect(h.bytesRead[0]).toBeLessThanOrEqual(4_096 + 2 * 1_024);
      expect(h.rejections).toEqual([
        { status: 413, reason: expect.stringContaining('at most 4096 bytes') as unknown },
      ]);
      // The server still answers the next client.
      expect((await post(h.url, BODY)).status).toBe(204);
    });

    it('answers 401 for a missing, wrong or stale signature when a secret is set', async () => {
      const h = await start({ secret: 's3cret', toleranceSec: 60 });
      const json = { 'content-type': 'application/json' };
      const wrong = await signFeedback(BODY, 'other');
      const stale = await signFeedback(BODY, 's3cret', { now: Date.now() - 120_000 });
      const otherBody = await signFeedback(BODY.replace('hard', 'soft'), 's3cret');
      expect((await post(h.url, BODY, json)).status).toBe(401);
      expect((await post(h.url, BODY, { ...json, 'x-feedback-signature': wrong })).status).toBe(401);
      expect((await post(h.url, BODY, { ...json, 'x-feedback-signature': stale })).status).toBe(401);
      expect((await post(h.url, BODY, { ...json, 'x-feedback-signature': otherBody })).status).toBe(401);
      expect((await post(h.url, BODY, { ...json, 'x-feedback-signature': 'garbage' })).status).toBe(401);
      expect(h.events).toEqual([]);
    });

    it('answers 400 for malformed JSON, invalid UTF-8 and a wrong shape, naming the field', async () => {
      const h = await start();
      const malformed = await post(h.url, '{"coordinator_id": ');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toContain('expected a UTF-8 JSON body');
      expect((await post(h.url, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).status).toBe(400);
      expect((await post(h.url, '')).status).toBe(400);
      const badLevel = await post(h.url, JSON.stringify({ ...toWire(EVENT), level: 'panic' }));
      expect(badLevel.status).toBe(400);
      expect((JSON.parse(badLevel.body) as { error: string }).error).toContain('field "level"');
      expect((await post(h.url, '[1,2]')).status).toBe(400);
      expect((await post(h.url, 'null')).status).toBe(400);
      expect(h.events).toEqual([]);
    });

    it('checks in the documented order: 405, 415, 413, 401, 400', async () => {
      const h = await start({ secret: 's3cret', maxBodyBytes: 50 });
      const big = 'x'.repeat(51);
      expect((await post(h.url, '', { 'content-type': 'text/plain' }, 'GET')).status).toBe(405);
      expect((await post(h.url, big, { 'content-type': 'text/plain' }, 'PUT')).status).toBe(405);
      expect((await post(h.url, big, { 'content-type': 'text/plain' })).status).toBe(415);
      expect((await post(h.url, big, { 'content-type': 'application/json' })).status).toBe(413);
      expect((await post(h.url, '{not json', { 'content-type': 'application/json' })).status).toBe(401);
      const signed = await signFeedback('{not json', 's3cret');
      expect(
        (
          await post(h.url, '{not json', {
            'content-type': 'application/json',
            'x-feedback-signature': signed,
          })
        ).status,
      ).toBe(400);
    });
  });

  describe('robustness', () => {
    it('survives a client that disconnects mid-body', async () => {
      const h = await start();
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: h.port,
          path: '/feedback',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '1000' },
        });
        req.on('error', () => resolve());
        req.write('{"coordinator_id":');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
      await sleep(50);
      expect((await post(h.url, BODY)).status).toBe(204);
      expect(h.events).toEqual([EVENT]);
    });

    it('answers 204 to the sender even when an observer of feedback$ throws (RxJS reports it)', async () => {
      const h = await start();
      const unhandled: unknown[] = [];
      const previous = config.onUnhandledError;
      config.onUnhandledError = (error) => unhandled.push(error);
      try {
        h.receiver.feedback$.subscribe(() => {
          throw new Error('observer bug');
        });
        expect((await post(h.url, BODY)).status).toBe(204);
        await waitFor(() => unhandled.length === 1);
      } finally {
        config.onUnhandledError = previous;
      }
      expect((unhandled[0] as Error).message).toBe('observer bug');
      expect(h.events).toEqual([EVENT]);
    });

    it('never crashes and never emits an invalid event, whatever the body (fast-check)', async () => {
      const h = await start({ maxBodyBytes: 2_048 });
      const wireField = fc.constantFrom(
        'coordinator_id',
        'level',
        'previous_level',
        'queue_size',
        'capacity',
        'utilization',
        'reason',
        'source',
        'ts',
      );
      const body = fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.json({ maxDepth: 3 }),
        // Near-valid events: one field replaced by anything.
        fc
          .tuple(wireField, fc.jsonValue({ maxDepth: 2 }))
          .map(([field, value]) => JSON.stringify({ ...toWire(EVENT), [field]: value })),
        // Events with fields dropped.
        fc
          .subarray(Object.keys(toWire(EVENT)))
          .map((keys) =>
            JSON.stringify(
              Object.fromEntries(Object.entries(toWire(EVENT)).filter(([k]) => keys.includes(k))),
            ),
          ),
        fc.string({ minLength: 2_049, maxLength: 2_100 }),
      );
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(body, async (payload) => {
          const reply = await post(h.url, payload);
          expect([204, 400, 413]).toContain(reply.status);
          if (reply.status === 204) accepted++;
        }),
        { numRuns: 200 },
      );
      expect(h.events).toHaveLength(accepted);
      for (const event of h.events) {
        expect(() => fromWire(toWire(event))).not.toThrow();
        expect(Object.isFrozen(event)).toBe(true);
      }
      expect((await post(h.url, BODY)).status).toBe(204);
    }, 20_000);
  });

  describe('express and pre-read bodies', () => {
    // What express.raw() / express.json() leave behind: the stream consumed, the body on req.body.
    const preRead =
      (transform: (raw: Buffer) => unknown) =>
      (req: IncomingMessage, _res: ServerResponse, next: () => void) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          (req as IncomingMessage & { body?: unknown }).body = transform(Buffer.concat(chunks));
          next();
        });
      };

    it('uses a raw Buffer body that a middleware already read, and checks its signature', async () => {
      const h = await start(
        { secret: 's3cret' },
        preRead((raw) => raw),
      );
      const signature = await signFeedback(BODY, 's3cret');
      expect(
        (await post(h.url, BODY, { 'content-type': 'application/json', 'x-feedback-signature': signature }))
          .status,
      ).toBe(204);
      expect((await post(h.url, BODY, { 'content-type': 'application/json' })).status).toBe(401);
      expect(h.events).toEqual([EVENT]);
    });

    it('uses a string body and applies the size limit to it', async () => {
      const h = await start(
        { maxBodyBytes: 400 },
        preRead((raw) => raw.toString('utf8')),
      );
      expect((await post(h.url, BODY)).status).toBe(204);
      expect((await post(h.url, BODY + ' '.repeat(400))).status).toBe(413);
    });

    it('accepts an already parsed object without a secret', async () => {
      const h = await start(
        {},
        preRead((raw) => JSON.parse(raw.toString()) as unknown),
      );
      expect((await post(h.url, BODY)).status).toBe(204);
      expect((await post(h.url, JSON.stringify({ level: 'ok' }))).status).toBe(400);
      expect(h.events).toEqual([EVENT]);
    });

    it('holds an already parsed object to maxBodyBytes', async () => {
      const h = await start(
        { maxBodyBytes: 400 },
        preRead((raw) => JSON.parse(raw.toString()) as unknown),
      );
      expect((await post(h.url, BODY)).status).toBe(204);
      const padded = JSON.stringify({ ...toWire(EVENT), padding: 'x'.repeat(400) });
      const reply = await post(h.url, padded);
      expect(reply.status).toBe(413);
      expect(reply.body).toContain('at most 400 bytes');
      expect(h.events).toEqual([EVENT]);
    });

    it('answers 500 instead of waiting when a framework consumed the body and kept it', async () => {
      // fastify's default JSON parser: the stream read to its end, the body on fastify's own request.
      const h = await start({}, (req, _res, next) => {
        req.resume();
        req.on('end', next);
      });
      const reply = await post(h.url, BODY);
      expect(reply.status).toBe(500);
      expect(reply.body).toContain('did not hand it over');
      expect(reply.body).toContain('reply.hijack()');
      expect(h.events).toEqual([]);
    });

    it('answers 500 naming the misconfiguration for a parsed object with a secret', async () => {
      const h = await start(
        { secret: 's3cret' },
        preRead((raw) => JSON.parse(raw.toString()) as unknown),
      );
      const reply = await post(h.url, BODY, {
        'content-type': 'application/json',
        'x-feedback-signature': await signFeedback(BODY, 's3cret'),
      });
      expect(reply.status).toBe(500);
      expect(reply.body).toContain('express.raw');
      expect(h.events).toEqual([]);
    });
  });

  describe('payloads of the Python market-data store', () => {
    it('accepts one without ts, dated with the time of receipt', async () => {
      const h = await start();
      const before = Date.now();
      const payload = {
        coordinator_id: 'market-data',
        queue_size: 8_200,
        capacity: 10_000,
        level: 'hard',
        reason: 'high_watermark',
        utilization: 0.82,
      };
      expect((await post(h.url, JSON.stringify(payload))).status).toBe(204);
      expect(h.events).toHaveLength(1);
      expect(h.events[0]!.ts).toBeGreaterThanOrEqual(before);
      expect(h.events[0]!.ts).toBeLessThanOrEqual(Date.now());
    });

    it('answers 400 to a ts in milliseconds or more than a day ahead', async () => {
      const h = await start();
      const ms = await post(h.url, JSON.stringify({ ...toWire(EVENT), ts: EVENT.ts }));
      expect(ms.status).toBe(400);
      expect(ms.body).toContain('looks like milliseconds');
      const future = await post(
        h.url,
        JSON.stringify({ ...toWire(EVENT), ts: Date.now() / 1000 + 2 * 86_400 }),
      );
      expect(future.status).toBe(400);
      expect(future.body).toContain('at most one day ahead');
      expect(h.events).toEqual([]);
    });
  });

  describe('body timeout', () => {
    it('answers 408 and closes the connection when the body takes longer than bodyTimeoutMs', async () => {
      const h = await start({ bodyTimeoutMs: 200 });
      const reply = await new Promise<{ status: number; connection: string | undefined }>(
        (resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: h.port,
              path: '/feedback',
              method: 'POST',
              headers: { 'content-type': 'application/json', 'content-length': String(BODY.length) },
            },
            (res) => {
              res.resume();
              resolve({ status: res.statusCode!, connection: res.headers.connection });
            },
          );
          req.on('error', reject);
          // Half the body, then silence.
          req.write(BODY.slice(0, 20));
          setTimeout(() => reject(new Error('no response')), 5_000).unref();
        },
      );
      expect(reply.status).toBe(408);
      expect(reply.connection).toBe('close');
      expect(h.rejections).toEqual([
        { status: 408, reason: expect.stringContaining('within 200 ms') as unknown },
      ]);
      expect((await post(h.url, BODY)).status).toBe(204);
    });

    it('defaults to 10 s and can be turned off with 0', () => {
      expect(() => createFeedbackReceiver({ bodyTimeoutMs: 0 })).not.toThrow();
      expect(() => createFeedbackReceiver({ bodyTimeoutMs: 2 ** 31 })).toThrow(RangeError);
    });
  });

  describe('secret', () => {
    it('refuses a secret key that is present but undefined (an unset environment variable)', () => {
      expect(() => createFeedbackReceiver({ secret: undefined })).toThrow(TypeError);
      expect(() => createFeedbackReceiver({ secret: undefined })).toThrow(
        /secret must be a non-empty string, or null \(or left out\) for an unsigned receiver, found undefined/,
      );
      expect(() => createFeedbackReceiver({ secret: '' })).toThrow(TypeError);
    });

    it('is an unsigned receiver without the key, or with null', async () => {
      for (const options of [{}, { secret: null }]) {
        const h = await start(options);
        expect((await post(h.url, BODY)).status).toBe(204);
        await new Promise<void>((resolve) => server!.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        server = undefined;
      }
    });
  });

  describe('options', () => {
    it.each([
      [{ secret: '' }, /secret must be a non-empty string/],
      [{ bodyTimeoutMs: -1 }, /bodyTimeoutMs must be a finite number within \[0, 2147483647\], found -1/],
      [{ maxBodyBytes: 0 }, /maxBodyBytes must be an integer >= 1/],
      [{ maxBodyBytes: 1.5 }, /maxBodyBytes must be an integer/],
      [{ toleranceSec: -1 }, /toleranceSec must be a finite number >= 0/],
    ])('rejects %p', (options, message) => {
      expect(() => createFeedbackReceiver(options as never)).toThrow(message);
    });
  });
});
