import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { createFeedbackReceiver, type FeedbackReceiver } from '../../lib/node/feedback-receiver.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import { signFeedback } from '../../lib/webhook/feedback-signature.js';
import { sampleEvent } from '../support/sample-event.js';

// The receiver mounted the way docs/webhook.md shows, under the real frameworks.

const EVENT = sampleEvent();
const BODY = JSON.stringify(toWire(EVENT));
const SECRET = 'framework-secret';

interface Reply {
  status: number;
  body: string;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
  // A bounded wait: a receiver that hangs fails the test instead of stalling the run.
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.text() };
}

async function signed(url: string, body = BODY): Promise<Reply> {
  return post(url, body, { 'x-feedback-signature': await signFeedback(body, SECRET) });
}

function record(receiver: FeedbackReceiver): FeedbackEvent[] {
  const events: FeedbackEvent[] = [];
  receiver.feedback$.subscribe((event) => events.push(event));
  return events;
}

describe('createFeedbackReceiver under express 5', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(app: express.Express): Promise<string> {
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/feedback`;
  }

  it('verifies signed events after express.raw()', async () => {
    const receiver = createFeedbackReceiver({ secret: SECRET });
    const events = record(receiver);
    const app = express();
    app.post(
      '/feedback',
      express.raw({ type: ['application/json', 'application/*+json'], limit: '64kb' }),
      receiver.handler,
    );
    const url = await listen(app);
    expect((await signed(url)).status).toBe(204);
    expect((await post(url, BODY)).status).toBe(401);
    expect(events).toEqual([EVENT]);
  });

  it('verifies signed events with no body parser at all', async () => {
    const receiver = createFeedbackReceiver({ secret: SECRET });
    const events = record(receiver);
    const app = express();
    app.post('/feedback', receiver.handler);
    const url = await listen(app);
    expect((await signed(url)).status).toBe(204);
    expect(events).toEqual([EVENT]);
  });

  it('accepts a body express.json() parsed, without a secret, held to maxBodyBytes', async () => {
    const receiver = createFeedbackReceiver({ maxBodyBytes: 400 });
    const events = record(receiver);
    const app = express();
    app.use(express.json());
    app.post('/feedback', receiver.handler);
    const url = await listen(app);
    expect((await post(url, BODY)).status).toBe(204);
    const big = await post(url, JSON.stringify({ ...toWire(EVENT), padding: 'x'.repeat(500) }));
    expect(big.status).toBe(413);
    expect(events).toEqual([EVENT]);
  });

  it('answers 500 naming the raw parser when express.json() ran and a secret is set', async () => {
    const receiver = createFeedbackReceiver({ secret: SECRET });
    const app = express();
    app.use(express.json());
    app.post('/feedback', receiver.handler);
    const url = await listen(app);
    const reply = await signed(url);
    expect(reply.status).toBe(500);
    expect(reply.body).toContain('express.raw');
  });
});

describe('createFeedbackReceiver under fastify 5', () => {
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function listen(instance: FastifyInstance): Promise<string> {
    app = instance;
    await instance.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(instance.server.address() as AddressInfo).port}/feedback`;
  }

  it('verifies signed events with a content-type parser that leaves the body unread and reply.hijack()', async () => {
    const receiver = createFeedbackReceiver({ secret: SECRET });
    const events = record(receiver);
    const instance = Fastify();
    // As in docs/webhook.md: a scope of its own, so that other routes keep fastify's JSON parser.
    await instance.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      scope.post('/feedback', (request, reply) => {
        reply.hijack();
        receiver.handler(request.raw, reply.raw);
      });
    });
    instance.post('/other', (request) => ({ echoed: request.body }));
    const url = await listen(instance);
    expect((await signed(url)).status).toBe(204);
    expect((await post(url, BODY)).status).toBe(401);
    expect(events).toEqual([EVENT]);
    const other = await post(url.replace('/feedback', '/other'), '{"a":1}');
    expect(JSON.parse(other.body)).toEqual({ echoed: { a: 1 } });
  });

  it('answers 500 instead of hanging behind the default JSON parser', async () => {
    const receiver = createFeedbackReceiver({ secret: SECRET });
    const instance = Fastify();
    instance.post('/feedback', (request, reply) => {
      reply.hijack();
      receiver.handler(request.raw, reply.raw);
    });
    const url = await listen(instance);
    const reply = await signed(url);
    expect(reply.status).toBe(500);
    expect(reply.body).toContain('reply.hijack()');
  });

  it('answers 500 instead of hanging behind the default JSON parser without a secret either', async () => {
    const receiver = createFeedbackReceiver();
    const instance = Fastify();
    instance.post('/feedback', (request, reply) => {
      reply.hijack();
      receiver.handler(request.raw, reply.raw);
    });
    const url = await listen(instance);
    expect((await post(url, BODY)).status).toBe(500);
  });

  it("accepts fastify's parsed body, without a secret, when it is handed over on req.body", async () => {
    const receiver = createFeedbackReceiver({ maxBodyBytes: 400 });
    const events = record(receiver);
    const instance = Fastify();
    instance.post('/feedback', (request, reply) => {
      reply.hijack();
      receiver.handler(Object.assign(request.raw, { body: request.body }), reply.raw);
    });
    const url = await listen(instance);
    expect((await post(url, BODY)).status).toBe(204);
    expect((await post(url, JSON.stringify({ ...toWire(EVENT), padding: 'x'.repeat(500) }))).status).toBe(
      413,
    );
    expect(events).toEqual([EVENT]);
  });
});
