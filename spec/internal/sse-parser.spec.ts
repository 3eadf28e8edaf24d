import fc from 'fast-check';
import { SseParser, type SseMessage } from '../../lib/internal/sse-parser.js';

function parseAll(chunks: readonly string[]): SseMessage[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

describe('SseParser', () => {
  it('dispatches data lines on a blank line', () => {
    expect(parseAll(['data: {"a":1}\n\n'])).toEqual([{ type: 'message', data: '{"a":1}', lastEventId: '' }]);
  });

  it('joins several data lines with newlines and keeps event types and ids', () => {
    expect(parseAll(['event: level\nid: 7\ndata: a\ndata:b\n\n'])).toEqual([
      { type: 'level', data: 'a\nb', lastEventId: '7' },
    ]);
  });

  it('ignores comments, unknown fields and retry, and events without data', () => {
    expect(parseAll([': heartbeat\n\nretry: 10\nfoo: bar\n\nevent: x\n\ndata: 1\n\n'])).toEqual([
      { type: 'message', data: '1', lastEventId: '' },
    ]);
  });

  it('accepts CRLF and CR line endings, a leading BOM, and an unfinished event is not dispatched', () => {
    expect(parseAll(['\uFEFFdata: 1\r\n\r\ndata: 2\r\rdata: 3\n'])).toEqual([
      { type: 'message', data: '1', lastEventId: '' },
      { type: 'message', data: '2', lastEventId: '' },
    ]);
  });

  it('gives the same events however the stream is split into chunks (fast-check)', () => {
    const stream = 'data: {"x":1}\r\n\r\n: c\ndata: a\rdata: b\r\rid: 9\nevent: e\ndata: z\n\n';
    const whole = parseAll([stream]);
    expect(whole).toHaveLength(3);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 10 }),
        (cuts) => {
          const points = [0, ...[...cuts].sort((a, b) => a - b), stream.length];
          const chunks = points.slice(1).map((end, i) => stream.slice(points[i], end));
          expect(parseAll(chunks)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws a RangeError when the data lines of one message exceed the message limit', () => {
    const parser = new SseParser(100, 250);
    parser.push(`data: ${'x'.repeat(100)}\n`);
    parser.push(`data: ${'x'.repeat(100)}\n`);
    expect(() => parser.push(`data: ${'x'.repeat(100)}\n`)).toThrow(/message too long/);
    // Bounded: the message was dropped, the parser goes on.
    expect(parser.push('data: 1\n\n')).toEqual([{ type: 'message', data: '1', lastEventId: '' }]);
  });

  it('accepts a message of exactly the limit', () => {
    const parser = new SseParser(100, 201);
    const messages = parser.push(`data: ${'x'.repeat(100)}\ndata: ${'y'.repeat(100)}\n\n`);
    expect(messages[0]!.data).toHaveLength(201);
  });

  it('throws a RangeError for a line longer than its limit, and stays bounded', () => {
    const parser = new SseParser(100);
    expect(() => parser.push('data: ' + 'x'.repeat(200))).toThrow(RangeError);
  });
});
