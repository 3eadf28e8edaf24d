import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import {
  FEEDBACK_SIGNATURE_HEADER,
  signFeedback,
  verifyFeedbackSignature,
} from '../../lib/webhook/feedback-signature.js';

const BODY = '{"coordinator_id":"orders","level":"hard"}';
const NOW = 1_700_000_000_000;

describe('feedback signatures', () => {
  it('names the header x-feedback-signature', () => {
    expect(FEEDBACK_SIGNATURE_HEADER).toBe('x-feedback-signature');
  });

  describe('signFeedback', () => {
    it('produces t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body"> (checked against node:crypto)', async () => {
      const header = await signFeedback(BODY, 's3cret', { now: NOW + 999 });
      const expected = createHmac('sha256', 's3cret').update(`1700000000.${BODY}`).digest('hex');
      expect(header).toBe(`t=1700000000,v1=${expected}`);
    });

    it('signs bytes and the same string alike', async () => {
      const bytes = new TextEncoder().encode(BODY);
      expect(await signFeedback(bytes, 'k', { now: NOW })).toBe(await signFeedback(BODY, 'k', { now: NOW }));
    });

    it('encodes non-ASCII bodies and secrets as UTF-8', async () => {
      const body = '{"source":"Zürich ✓"}';
      const header = await signFeedback(body, 'clé', { now: NOW });
      const expected = createHmac('sha256', Buffer.from('clé', 'utf8'))
        .update(Buffer.from(`1700000000.${body}`, 'utf8'))
        .digest('hex');
      expect(header).toBe(`t=1700000000,v1=${expected}`);
    });

    it('rejects an empty secret', async () => {
      await expect(signFeedback(BODY, '')).rejects.toThrow(/secret must be a non-empty string/);
    });
  });

  describe('verifyFeedbackSignature', () => {
    it('accepts its own signature (round trip)', async () => {
      const header = await signFeedback(BODY, 's3cret');
      await expect(verifyFeedbackSignature(BODY, header, 's3cret')).resolves.toBe(true);
    });

    it('accepts bytes signed as a string', async () => {
      const header = await signFeedback(BODY, 's3cret', { now: NOW });
      const bytes = new TextEncoder().encode(BODY);
      await expect(verifyFeedbackSignature(bytes, header, 's3cret', { now: NOW })).resolves.toBe(true);
    });

    it('rejects a changed body', async () => {
      const header = await signFeedback(BODY, 's3cret', { now: NOW });
      const changed = BODY.replace('hard', 'soft');
      await expect(verifyFeedbackSignature(changed, header, 's3cret', { now: NOW })).resolves.toBe(false);
    });

    it('rejects a wrong secret', async () => {
      const header = await signFeedback(BODY, 's3cret', { now: NOW });
      await expect(verifyFeedbackSignature(BODY, header, 'S3cret', { now: NOW })).resolves.toBe(false);
    });

    it('rejects a missing header', async () => {
      await expect(verifyFeedbackSignature(BODY, undefined, 's3cret')).resolves.toBe(false);
      await expect(verifyFeedbackSignature(BODY, null, 's3cret')).resolves.toBe(false);
      await expect(verifyFeedbackSignature(BODY, '', 's3cret')).resolves.toBe(false);
    });

    it('rejects a stale timestamp, and one too far in the future', async () => {
      const header = await signFeedback(BODY, 's3cret', { now: NOW });
      await expect(verifyFeedbackSignature(BODY, header, 's3cret', { now: NOW + 300_000 })).resolves.toBe(
        true,
      );
      await expect(verifyFeedbackSignature(BODY, header, 's3cret', { now: NOW + 301_000 })).resolves.toBe(
        false,
      );
      await expect(verifyFeedbackSignature(BODY, header, 's3cret', { now: NOW - 301_000 })).resolves.toBe(
        false,
      );
      await expect(
        verifyFeedbackSignature(BODY, header, 's3cret', { now: NOW + 3_000, toleranceSec: 2 }),
      ).resolves.toBe(false);
    });

    it('rejects a timestamp changed to look fresh (the timestamp is signed)', async () => {
      const header = await signFeedback(BODY, 's3cret', { now: NOW - 3_600_000 });
      const forged = header.replace(/^t=\d+/, `t=${NOW / 1000}`);
      await expect(verifyFeedbackSignature(BODY, forged, 's3cret', { now: NOW })).resolves.toBe(false);
    });

    it('accepts any one matching v1 among several (secret rotation) and ignores unknown schemes', async () => {
      const header = await signFeedback(BODY, 'new', { now: NOW });
      const [t, v1] = header.split(',');
      const old = (await signFeedback(BODY, 'old', { now: NOW })).split(',')[1];
      const combined = `${t},${old},v0=abc,${v1}`;
      await expect(verifyFeedbackSignature(BODY, combined, 'new', { now: NOW })).resolves.toBe(true);
      await expect(verifyFeedbackSignature(BODY, combined, 'old', { now: NOW })).resolves.toBe(true);
      await expect(verifyFeedbackSignature(BODY, combined, 'third', { now: NOW })).resolves.toBe(false);
    });

    it('accepts upper-case hex and spaces after commas', async () => {
      const header = await signFeedback(BODY, 'k', { now: NOW });
      const [t, v1] = header.split(',');
      const loose = `${t}, v1=${v1!.slice(3).toUpperCase()}`;
      await expect(verifyFeedbackSignature(BODY, loose, 'k', { now: NOW })).resolves.toBe(true);
    });

    it.each([
      ['no t', 'v1=' + 'a'.repeat(64)],
      ['no v1', 't=1700000000'],
      ['two t', 't=1700000000,t=1700000000,v1=' + 'a'.repeat(64)],
      ['short v1', 't=1700000000,v1=abc'],
      ['non-hex v1', 't=1700000000,v1=' + 'g'.repeat(64)],
      ['negative t', 't=-1,v1=' + 'a'.repeat(64)],
      ['fractional t', 't=1700000000.5,v1=' + 'a'.repeat(64)],
      ['garbage', 'sha256=deadbeef'],
      ['very long', 't=1700000000,' + 'x=y,'.repeat(1_000) + 'v1=' + 'a'.repeat(64)],
    ])('rejects a malformed header (%s)', async (_name, header) => {
      await expect(verifyFeedbackSignature(BODY, header, 'k', { now: NOW })).resolves.toBe(false);
    });

    it('answers false, never throws, for bad arguments', async () => {
      const header = await signFeedback(BODY, 'k', { now: NOW });
      await expect(verifyFeedbackSignature(BODY, header, '', { now: NOW })).resolves.toBe(false);
      await expect(verifyFeedbackSignature(BODY, ['a', 'b'], 'k', { now: NOW })).resolves.toBe(false);
      await expect(verifyFeedbackSignature(42 as never, header, 'k', { now: NOW })).resolves.toBe(false);
      await expect(verifyFeedbackSignature(BODY, header, 'k', { now: NOW, toleranceSec: -1 })).resolves.toBe(
        false,
      );
      await expect(verifyFeedbackSignature(BODY, header, 'k', null as never)).resolves.toBe(false);
    });

    it('never throws and never accepts for arbitrary headers (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.string({ maxLength: 200 }),
          fc.string({ maxLength: 100 }),
          async (header, body) => {
            const result = await verifyFeedbackSignature(body, header, 'k', { now: NOW });
            return result === false;
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
