import { assertNonEmptyString, assertNumber } from '../internal/validate.js';
import { fromHex, timingSafeEqual, toHex } from '../internal/hex.js';

/**
 * The request header that carries a feedback signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
 * Header names are case-insensitive; Node lower-cases them.
 *
 * @example
 * ```ts
 * const header = req.headers[FEEDBACK_SIGNATURE_HEADER];
 * ```
 */
export const FEEDBACK_SIGNATURE_HEADER = 'x-feedback-signature';

/**
 * Options of {@link signFeedback}.
 *
 * @example
 * ```ts
 * const header = await signFeedback(body, secret, { now: Date.parse('2026-01-01T00:00:00Z') });
 * ```
 */
export interface SignFeedbackOptions {
  /** The signing time, in epoch milliseconds; the header carries it in whole seconds. @default Date.now() */
  readonly now?: number;
}

/**
 * Options of {@link verifyFeedbackSignature}.
 *
 * @example
 * ```ts
 * await verifyFeedbackSignature(body, header, secret, { toleranceSec: 60 }); // stricter replay window
 * ```
 */
export interface VerifyFeedbackSignatureOptions {
  /**
   * How far, in seconds, the signed timestamp may be from `now` (either way) before the signature
   * counts as stale. Bounds how long a captured request can be replayed. @default 300
   */
  readonly toleranceSec?: number;
  /** The current time, in epoch milliseconds. @default Date.now() */
  readonly now?: number;
}

const encoder = new TextEncoder();
// A real header is ~80 characters; anything much longer is not worth parsing.
const MAX_HEADER_LENGTH = 1024;
const MAX_SIGNATURES = 8;

/**
 * Signs a request body for the `x-feedback-signature` header: `t=<unix seconds>,v1=<hex>`, where the
 * hex is HMAC-SHA256, keyed with the UTF-8 bytes of `secret`, of the bytes of `"<t>."` followed by
 * the body's bytes. Uses WebCrypto, so it runs in browsers and Node alike.
 *
 * @param body The exact bytes (or string, encoded as UTF-8) that will be sent.
 * @throws TypeError when `secret` is empty or WebCrypto is missing (the promise rejects).
 * @example
 * ```ts
 * const body = JSON.stringify(toWire(event));
 * const signature = await signFeedback(body, process.env.FEEDBACK_SECRET!);
 * await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json',
 *   [FEEDBACK_SIGNATURE_HEADER]: signature } });
 * ```
 */
export async function signFeedback(
  body: string | Uint8Array,
  secret: string,
  options: SignFeedbackOptions = {},
): Promise<string> {
  assertNonEmptyString('secret', secret);
  const { now = Date.now() } = options;
  assertNumber('now', now);
  const t = Math.floor(now / 1000);
  const key = await importHmacKey(secret);
  return `t=${t},v1=${toHex(await hmac(key, t, body))}`;
}

/**
 * Checks an `x-feedback-signature` header against the raw request body, in constant time. Resolves
 * `false`, and never throws or rejects, for a missing, malformed, wrong or stale header (or for bad
 * arguments), so a receiver can answer 401 on `false` alone. A header may carry several `v1=`
 * signatures (for example while a secret is rotated); one that matches is enough.
 *
 * @param body The raw body exactly as received (bytes, or a string that is encoded as UTF-8).
 * @param header The header's value, e.g. `req.headers['x-feedback-signature']`.
 * @example
 * ```ts
 * if (!(await verifyFeedbackSignature(rawBody, req.headers['x-feedback-signature'], secret))) {
 *   res.writeHead(401).end();
 *   return;
 * }
 * ```
 */
export async function verifyFeedbackSignature(
  body: string | Uint8Array,
  header: string | readonly string[] | null | undefined,
  secret: string,
  options: VerifyFeedbackSignatureOptions = {},
): Promise<boolean> {
  try {
    if (typeof header !== 'string' || typeof secret !== 'string' || secret.length === 0) return false;
    if (typeof body !== 'string' && !ArrayBuffer.isView(body)) return false;
    const { toleranceSec = 300, now = Date.now() } = options ?? {};
    if (!(toleranceSec >= 0) || !Number.isFinite(now)) return false;
    const parsed = parseSignatureHeader(header);
    if (parsed === undefined) return false;
    if (!(Math.abs(now / 1000 - parsed.t) <= toleranceSec)) return false;
    const expected = await hmac(await importHmacKey(secret), parsed.t, body);
    let matched = false;
    // Compare against every candidate, so timing does not reveal which one matched.
    for (const candidate of parsed.signatures) matched = timingSafeEqual(expected, candidate) || matched;
    return matched;
  } catch {
    return false;
  }
}

/** @internal Imports `secret` as an HMAC-SHA256 signing key. */
export function importHmacKey(secret: string): Promise<CryptoKey> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    return Promise.reject(
      new TypeError(
        'Signing feedback needs WebCrypto: expected globalThis.crypto.subtle (browsers in a secure ' +
          'context, Node >= 19), found none',
      ),
    );
  }
  return subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/** @internal HMAC-SHA256 of `"<t>." + body`. */
export async function hmac(key: CryptoKey, t: number, body: string | Uint8Array): Promise<Uint8Array> {
  const prefix = encoder.encode(`${t}.`);
  // Any typed-array view counts, even from another realm (a Node Buffer seen from a vm or iframe).
  const bytes =
    typeof body === 'string'
      ? encoder.encode(body)
      : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const message = new Uint8Array(prefix.length + bytes.length);
  message.set(prefix, 0);
  message.set(bytes, prefix.length);
  return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, message));
}

/** @internal Signs with an already imported key (the broadcaster imports its secret once). */
export async function signWithKey(key: CryptoKey, body: string, nowMs: number): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${toHex(await hmac(key, t, body))}`;
}

function parseSignatureHeader(header: string): { t: number; signatures: Uint8Array[] } | undefined {
  if (header.length > MAX_HEADER_LENGTH) return undefined;
  let t: number | undefined;
  const signatures: Uint8Array[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (name === 'v1') {
      if (value.length !== 64) return undefined;
      const bytes = fromHex(value);
      if (bytes === undefined) return undefined;
      signatures.push(bytes);
    }
    // Other schemes (a future v2) are ignored, so senders can add them without breaking receivers.
  }
  if (t === undefined || signatures.length === 0 || signatures.length > MAX_SIGNATURES) return undefined;
  return { t, signatures };
}
