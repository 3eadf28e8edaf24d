/** @internal One dispatched server-sent event. */
export interface SseMessage {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

/**
 * @internal An incremental parser for `text/event-stream` (the WHATWG HTML "event stream
 * interpretation"): feed it decoded text in chunks of any size, get back the events completed so
 * far. Lines end in CRLF, LF or CR, even when a chunk boundary splits a CRLF. Comments (`:` lines),
 * unknown fields and `retry` are ignored. The unfinished line is bounded by `maxLineLength`, and the
 * data lines of one message together by `maxMessageLength`, so a server that never sends a newline,
 * or never the blank line that ends a message, cannot exhaust memory.
 */
export class SseParser {
  private buffer = '';
  private skipLeadingLf = false;
  private data: string[] = [];
  private dataLength = 0;
  private type = '';
  private lastEventId = '';
  private bomChecked = false;

  constructor(
    private readonly maxLineLength = 1_048_576,
    private readonly maxMessageLength = 1_048_576,
  ) {}

  /** The last event id the stream set (kept across messages, as the WHATWG reader does). */
  get lastId(): string {
    return this.lastEventId;
  }

  /** Parses `chunk` and returns the events it completed. Throws a RangeError on an overlong line or message. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (!this.bomChecked && text.length > 0) {
      this.bomChecked = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLeadingLf = false;
    this.buffer += text;
    const messages: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      let end: number;
      if (cr < 0 && lf < 0) break;
      if (cr < 0 || (lf >= 0 && lf < cr)) end = lf;
      else end = cr;
      const line = this.buffer.slice(start, end);
      if (this.buffer[end] === '\r') {
        if (end + 1 < this.buffer.length) start = this.buffer[end + 1] === '\n' ? end + 2 : end + 1;
        else {
          // A CR at the very end: the LF of a CRLF may come with the next chunk.
          start = end + 1;
          this.skipLeadingLf = true;
        }
      } else start = end + 1;
      let message: SseMessage | undefined;
      try {
        message = this.line(line);
      } catch (error) {
        // An overlong message: what is left of this chunk belongs to it, drop that too.
        this.buffer = '';
        throw error;
      }
      if (message) messages.push(message);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxLineLength) {
      this.buffer = '';
      throw new RangeError(
        `Event stream line too long: expected at most ${this.maxLineLength} characters, found more`,
      );
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      // Each line counts with the newline that joins it to the next.
      this.dataLength += value.length + 1;
      if (this.dataLength > this.maxMessageLength + 1) {
        this.data = [];
        this.dataLength = 0;
        throw new RangeError(
          `Event stream message too long: expected at most ${this.maxMessageLength} characters of data, found more`,
        );
      }
      this.data.push(value);
    } else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const { data, type } = this;
    this.data = [];
    this.dataLength = 0;
    this.type = '';
    if (data.length === 0) return undefined;
    return { type: type || 'message', data: data.join('\n'), lastEventId: this.lastEventId };
  }
}
