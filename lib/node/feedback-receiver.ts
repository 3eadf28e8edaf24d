import type { IncomingMessage, ServerResponse } from 'node:http';
import { Subject, type Observable } from 'rxjs';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { fromWire } from '../feedback/wire.js';
import { describeValue } from '../internal/describe-value.js';
import { assertDelayMs, assertInteger, assertNonEmptyString, assertNumber } from '../internal/validate.js';
import { FEEDBACK_SIGNATURE_HEADER, verifyFeedbackSignature } from '../webhook/feedback-signature.js';
import { messageOf } from '../internal/message-of.js';

/**
 * Options of {@link createFeedbackReceiver}.
 *
 * @example
 * ```ts
 * createFeedbackReceiver({ secret: requireEnv('FEEDBACK_SECRET'), maxBodyBytes: 4_096, toleranceSec: 60, bodyTimeoutMs: 5_000 });
 * ```
 */
export interface FeedbackReceiverOptions {
  /**
   * When set, requests must carry a valid `x-feedback-signature` made with it (else 401). Leave the
   * key out, or pass `null`, for a receiver that accepts unsigned requests. A key that is present but
   * `undefined` or `''` (typically `process.env.X` with the variable unset) is a TypeError, so that a
   * missing secret cannot silently turn signing off. @default null
   */
  readonly secret?: string | null;
  /**
   * The largest body accepted, in bytes; reading stops there and the answer is 413. Applies to a body
   * a framework already read or parsed too. @default 65536
   */
  readonly maxBodyBytes?: number;
  /**
   * How long the whole body may take to arrive, in ms, from the moment the handler starts reading;
   * past it the answer is 408 and the connection is closed, so that slow or stalled senders cannot
   * hold connections open. `0` turns it off; at most 2147483647. @default 10000
   */
  readonly bodyTimeoutMs?: number;
  /** How old (or how far in the future) a signature's timestamp may be, in seconds. @default 300 */
  readonly toleranceSec?: number;
}

/**
 * A request the receiver refused, as reported on {@link FeedbackReceiver.rejected$}.
 *
 * @example
 * ```ts
 * receiver.rejected$.subscribe(({ status, reason }: FeedbackRejection) => logger.warn({ status }, reason));
 * ```
 */
export interface FeedbackRejection {
  /** The status it answered: 400, 401, 405, 408, 413, 415 or 500. */
  readonly status: number;
  /** Why, as also sent in the response body. */
  readonly reason: string;
}

/**
 * What {@link createFeedbackReceiver} returns: a handler to mount and the events it accepts.
 *
 * @example
 * ```ts
 * const { handler, feedback$ }: FeedbackReceiver = createFeedbackReceiver();
 * http.createServer(handler).listen(8080);
 * feedback$.subscribe((event) => console.log(event.level));
 * ```
 */
export interface FeedbackReceiver {
  /**
   * A `node:http` request listener (also an express handler: the third argument is ignored). It
   * always answers, never throws, and never rejects.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;
  /** Every accepted event, validated; hot, no replay. */
  readonly feedback$: Observable<FeedbackEvent>;
  /** Every refused request, for logs and metrics; hot, no replay. */
  readonly rejected$: Observable<FeedbackRejection>;
}

type BodyResult =
  | { readonly kind: 'ok'; readonly body: Uint8Array }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' };

const RAW_BODY_ADVICE =
  "mount a raw body parser before it (express.raw({ type: 'application/json' }), or under fastify a " +
  'content-type parser that leaves the body unread and reply.hijack()), or no body parser at all';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates the receiving end of `HttpFeedbackBroadcaster`: a request handler that validates each
 * POSTed event and emits it on `feedback$`, so a producer in this process can pace itself by a
 * coordinator in another (`levelOf(receiver.feedback$)`).
 *
 * Checks, in this order: 405 unless POST; 415 unless the content type is `application/json` (or
 * `application/*+json`); 413 when the body is over `maxBodyBytes` (refused from `content-length`
 * at once, otherwise reading stops at the limit, also for a body sent slowly, and the connection
 * is closed); 408 when the body took longer than `bodyTimeoutMs` to arrive (the connection is
 * closed); 401 when a `secret` is set and the signature is missing, malformed, wrong or stale;
 * 400 for a body that is not UTF-8 JSON or not a valid event (`fromWire`: a payload without `ts`
 * is dated with the time of receipt, one with a `ts` in milliseconds or more than a day ahead is
 * refused). Then it emits the event and answers 204. Refusals carry a JSON body `{ "error": "..." }`.
 *
 * Under a framework, mount it without a body parser, or after a raw one (`express.raw({ type:
 * 'application/json' })`; a pre-read Buffer or string on `req.body` is used as is). A body that a
 * JSON parser already turned into an object (`express.json()`, or a `req.body` set from fastify's
 * `request.body`) is accepted only without a `secret` (the signature covers the raw bytes, which are
 * gone), and is held to `maxBodyBytes` too; with a secret the answer is 500, naming the
 * misconfiguration. A request whose body a framework consumed without handing it over (fastify's
 * default JSON parser on `request.raw`) is answered 500 the same way: the handler never waits on a
 * stream that has already ended.
 *
 * @throws TypeError / RangeError naming the option.
 * @example
 * ```ts
 * const secret = process.env.FEEDBACK_SECRET;
 * if (!secret) throw new Error('FEEDBACK_SECRET is not set');
 * const receiver = createFeedbackReceiver({ secret });
 * http.createServer(receiver.handler).listen(8080);
 * const paused$ = levelOf(receiver.feedback$, 'orders').pipe(map((level) => level === 'hard'));
 * ticks$.pipe(pauseWhile(paused$)).subscribe(send);
 * ```
 */
export function createFeedbackReceiver(options: FeedbackReceiverOptions = {}): FeedbackReceiver {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, found ${describeValue(options)}`);
  }
  const { maxBodyBytes = 65_536, toleranceSec = 300, bodyTimeoutMs = 10_000 } = options;
  const secret = resolveSecret(options);
  assertInteger('maxBodyBytes', maxBodyBytes, 1);
  assertNumber('toleranceSec', toleranceSec, 0);
  assertDelayMs('bodyTimeoutMs', bodyTimeoutMs);
  const feedback = new Subject<FeedbackEvent>();
  const rejected = new Subject<FeedbackRejection>();

  const refuse = (res: ServerResponse, status: number, reason: string, headers = {}): void => {
    send(res, status, JSON.stringify({ error: reason }), {
      'content-type': 'application/json; charset=utf-8',
      ...headers,
    });
    rejected.next({ status, reason });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A payload without ts is dated when its request arrived, not when its body was parsed.
    const receivedAt = Date.now();
    if (req.method !== 'POST') {
      refuse(res, 405, `expected method POST, found ${describeValue(req.method)}`, { allow: 'POST' });
      return;
    }
    const contentType = req.headers['content-type'];
    if (!isJsonContentType(contentType)) {
      refuse(res, 415, `expected content-type application/json, found ${describeValue(contentType)}`);
      return;
    }
    let preRead = preReadBody(req);
    // Any typed-array view (a Buffer, possibly from another realm) counts as raw bytes.
    if (ArrayBuffer.isView(preRead) && !(preRead instanceof Uint8Array)) {
      preRead = new Uint8Array(preRead.buffer, preRead.byteOffset, preRead.byteLength);
    }
    let raw: Uint8Array | undefined;
    let parsed: unknown;
    if (preRead === undefined && isConsumed(req)) {
      // Waiting for 'end' on a stream that has ended would never answer.
      refuse(
        res,
        500,
        `receiver misconfigured: a framework already read the request body and did not hand it over; ${RAW_BODY_ADVICE}`,
      );
      return;
    }
    if (preRead !== undefined && !ArrayBuffer.isView(preRead) && typeof preRead !== 'string') {
      if (secret !== undefined) {
        refuse(
          res,
          500,
          `receiver misconfigured: a body parser consumed the raw body that the signature covers; ${RAW_BODY_ADVICE}`,
        );
        return;
      }
      const size = parsedBodySize(req, preRead);
      if (size > maxBodyBytes) {
        refuse(res, 413, `expected a body of at most ${maxBodyBytes} bytes, found ${size}`);
        return;
      }
      parsed = preRead;
    } else {
      if (preRead !== undefined) {
        raw = typeof preRead === 'string' ? new TextEncoder().encode(preRead) : (preRead as Uint8Array);
        if (raw.length > maxBodyBytes) {
          refuse(res, 413, `expected a body of at most ${maxBodyBytes} bytes, found ${raw.length}`);
          return;
        }
      } else {
        const result = await readBody(req, maxBodyBytes, bodyTimeoutMs);
        if (result.kind === 'aborted') return; // The client left; nobody to answer.
        if (result.kind === 'too-large' || result.kind === 'timeout') {
          // Stop reading: close the connection once the answer is out instead of draining the rest.
          if (result.kind === 'too-large') {
            refuse(res, 413, `expected a body of at most ${maxBodyBytes} bytes, found more`, {
              connection: 'close',
            });
          } else {
            refuse(res, 408, `expected the whole body within ${bodyTimeoutMs} ms, found it still arriving`, {
              connection: 'close',
            });
          }
          res.once('finish', () => req.socket?.destroy());
          return;
        }
        raw = result.body;
      }
      if (secret !== undefined) {
        const header = req.headers[FEEDBACK_SIGNATURE_HEADER];
        if (!(await verifyFeedbackSignature(raw, header, secret, { toleranceSec }))) {
          refuse(res, 401, `expected a valid, fresh ${FEEDBACK_SIGNATURE_HEADER} header`);
          return;
        }
      }
      try {
        parsed = JSON.parse(decoder.decode(raw)) as unknown;
      } catch (error) {
        refuse(res, 400, `expected a UTF-8 JSON body, found one that is not (${messageOf(error)})`);
        return;
      }
    }
    let event: FeedbackEvent;
    try {
      event = fromWire(parsed, { now: receivedAt });
    } catch (error) {
      refuse(res, 400, messageOf(error));
      return;
    }
    // A throwing observer cannot throw here: RxJS reports it through config.onUnhandledError.
    feedback.next(event);
    send(res, 204, undefined, {});
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      // Unreachable by design; if it happens, answer rather than leave the client hanging.
      try {
        refuse(res, 500, `internal error: ${messageOf(error)}`);
      } catch {
        res.destroy();
      }
    });
  };

  return {
    handler,
    feedback$: feedback.asObservable(),
    rejected$: rejected.asObservable(),
  };
}

function isJsonContentType(value: string | undefined): boolean {
  if (typeof value !== 'string') return false;
  const mediaType = value.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType);
}

/** A body some middleware already read (express and its parsers set `req.body`), if any. */
function preReadBody(req: IncomingMessage): unknown {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  // body-parser leaves `{}` on requests it skipped, with the stream unread: read those ourselves.
  return body !== undefined && req.readableEnded ? body : undefined;
}

/**
 * The `secret` option: a string, or none for `null` or a missing key. A key that is present but
 * `undefined` or empty is refused, so that `secret: process.env.X` with X unset fails at creation
 * instead of quietly accepting unsigned requests.
 */
function resolveSecret(options: FeedbackReceiverOptions): string | undefined {
  if (!('secret' in options) || options.secret === null) return undefined;
  const { secret } = options;
  if (secret === undefined) {
    throw new TypeError(
      'secret must be a non-empty string, or null (or left out) for an unsigned receiver, found undefined ' +
        '(is the environment variable it is read from unset?)',
    );
  }
  return assertNonEmptyString('secret', secret);
}

/** Whether the request stream was already read to its end (or torn down) by someone else. */
function isConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || req.destroyed || (req.complete && req.readableLength === 0 && !req.readable);
}

/**
 * The size of a body a JSON parser already read: what the sender declared, when it did, else the
 * length of the object re-serialized (close to what came over the wire).
 */
function parsedBodySize(req: IncomingMessage, parsed: unknown): number {
  const declared = Number(req.headers['content-length']);
  if (req.headers['content-length'] !== undefined && Number.isFinite(declared)) return declared;
  try {
    return new TextEncoder().encode(JSON.stringify(parsed) ?? '').length;
  } catch {
    return 0; // Not serializable (a cycle): fromWire refuses it as a shape error next.
  }
}

function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ kind: 'too-large' });
  return new Promise<BodyResult>((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            req.pause();
            finish({ kind: 'timeout' });
          }, timeoutMs)
        : undefined;
    const finish = (result: BodyResult): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      // Keep a listener, so that a late socket error after we stopped listening cannot crash.
      req.on('error', () => undefined);
      resolve(result);
    };
    const onData = (chunk: Uint8Array | string): void => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        req.pause();
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => finish({ kind: 'ok', body: concat(chunks, size) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function send(
  res: ServerResponse,
  status: number,
  body: string | undefined,
  headers: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, headers);
  res.end(body);
}
