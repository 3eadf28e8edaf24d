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
 * unknown fields and `retry` are ignored. The unfinished line is bounded by `maxLineLength`, so a
 * server that never sends a newline cannot exhaust memory.
 */
export class SseParser {
  private buffer = '';
  private skipLeadingLf = false;
  private data: string[] = [];
  private type = '';
  private lastEventId = '';
  private bomChecked = false;

  constructor(private readonly maxLineLength = 1_048_576) {}

  /** Parses `chunk` and returns the events it completed. Throws a RangeError on an overlong line. */
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
      const message = this.line(line);
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
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const { data, type } = this;
    this.data = [];
    this.type = '';
    if (data.length === 0) return undefined;
    return { type: type || 'message', data: data.join('\n'), lastEventId: this.lastEventId };
  }
}
