import { join, resolve } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import type * as Webhook from '../../lib/webhook/index.js';
import { startTestServer, type TestServer } from './http-test-server.js';

const root = resolve(__dirname, '../..');

/** Only what a browser offers: no process, Buffer, require, setImmediate or node: modules. */
function browserLikeGlobals(): Record<string, unknown> {
  return {
    fetch,
    Headers,
    Request,
    Response,
    AbortController,
    AbortSignal,
    URL,
    TextEncoder,
    TextDecoder,
    ReadableStream,
    crypto: globalThis.crypto,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    console,
  };
}

describe('rxjs-backpressure/webhook in a browser-like context', () => {
  let server: TestServer | undefined;
  let webhook: typeof Webhook;

  beforeAll(async () => {
    // Bundled for the browser platform (fails on any node: import), rxjs included, then run in a
    // fresh V8 context that has web globals only.
    const result = await build({
      entryPoints: [join(root, 'lib/webhook/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'webhook',
      write: false,
      logLevel: 'silent',
    });
    const context = createContext(browserLikeGlobals());
    runInContext(result.outputFiles[0]!.text, context);
    webhook = (context as { webhook: typeof Webhook }).webhook;
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const event: FeedbackEvent = createFeedbackEvent({
    coordinatorId: 'orders',
    level: 'soft',
    previousLevel: 'ok',
    queueSize: 5,
    capacity: 10,
    reason: 'soft_watermark',
    ts: 1_700_000_000_000,
  });

  it('has no Node globals to lean on', () => {
    const context = createContext(browserLikeGlobals());
    expect(
      runInContext('typeof process + typeof Buffer + typeof require + typeof setImmediate', context),
    ).toBe('undefinedundefinedundefinedundefined');
  });

  it('signs and verifies with WebCrypto', async () => {
    const body = JSON.stringify(toWire(event));
    const header = await webhook.signFeedback(body, 'k');
    await expect(webhook.verifyFeedbackSignature(body, header, 'k')).resolves.toBe(true);
    await expect(webhook.verifyFeedbackSignature(body + ' ', header, 'k')).resolves.toBe(false);
  });

  it('delivers a signed event with fetch, retrying a 503', async () => {
    server = await startTestServer((_req, res) =>
      res.writeHead(server!.requests.length === 1 ? 503 : 204).end(),
    );
    const broadcaster = new webhook.HttpFeedbackBroadcaster({ url: server.url, secret: 'k', backoffMs: 5 });

    await expect(broadcaster.broadcastOne(event)).resolves.toBe(true);

    expect(server.requests).toHaveLength(2);
    const [, second] = server.requests;
    expect(JSON.parse(second!.body.toString()) as unknown).toEqual(toWire(event));
    await expect(
      webhook.verifyFeedbackSignature(second!.body, second!.headers['x-feedback-signature'], 'k'),
    ).resolves.toBe(true);
  });

  it('reads an event stream with the fetch parser', async () => {
    server = await startTestServer({
      raw: (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'text/event-stream' })
          .write(`: hello\n\ndata: ${JSON.stringify(toWire(event))}\n\n`),
    });
    const received = await new Promise<unknown>((done, fail) => {
      const subscription = webhook.fromFeedbackEvents(server!.url).subscribe({
        next: (e) => {
          subscription.unsubscribe();
          done(e);
        },
        error: fail,
      });
    });
    expect(received).toEqual(event);
  });
});
