import { promises as fs } from 'node:fs';

/**
 * @internal Bytes read from (or buffered for) a file at a time: the memory a line-by-line pass
 * needs beyond the longest line, whatever the size of the file.
 */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** @internal One line of a text file, as {@link readLines} yields it. */
export interface FileLine {
  /** The line's text, without its newline. */
  readonly text: string;
  /** Its number, counting from 1. */
  readonly number: number;
  /** `false` for a last line that has no newline (a writer may not have finished it). */
  readonly terminated: boolean;
}

const NEWLINE = 0x0a;

/**
 * @internal Yields the lines of `file` one by one, reading `chunkBytes` at a time, so that a file
 * larger than the longest string a JavaScript engine can hold is still read. A missing file has no
 * lines. Lines are cut at the newline byte before they are decoded: a newline byte never occurs
 * inside a multi-byte UTF-8 character, so a character split across two chunks decodes whole.
 */
export async function* readLines(file: string, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<FileLine> {
  const handle = await openIfExists(file);
  if (handle === undefined) return;
  try {
    const chunk = Buffer.alloc(chunkBytes);
    // The start of a line whose newline is in a later chunk; kept as pieces, joined once.
    let pending: Buffer[] = [];
    let number = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const read = chunk.subarray(0, bytesRead);
      let start = 0;
      for (let end = read.indexOf(NEWLINE); end !== -1; end = read.indexOf(NEWLINE, start)) {
        const piece = read.subarray(start, end);
        const bytes = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        number += 1;
        yield { text: bytes.toString('utf8'), number, terminated: true };
        start = end + 1;
      }
      // Copied: the chunk buffer is overwritten by the next read.
      if (start < bytesRead) pending.push(Buffer.from(read.subarray(start)));
    }
    if (pending.length > 0) {
      yield { text: Buffer.concat(pending).toString('utf8'), number: number + 1, terminated: false };
    }
  } finally {
    await handle.close();
  }
}

/**
 * @internal The last line of `file` when it lacks its newline, read backwards from the end
 * `chunkBytes` at a time, with the byte offset at which it starts; `undefined` when the file is
 * missing, empty or ends on a newline.
 */
export async function readUnterminatedTail(
  file: string,
  chunkBytes = DEFAULT_CHUNK_BYTES,
): Promise<{ readonly text: string; readonly offset: number } | undefined> {
  const handle = await openIfExists(file);
  if (handle === undefined) return undefined;
  try {
    const { size } = await handle.stat();
    const pieces: Buffer[] = [];
    let position = size;
    while (position > 0) {
      const length = Math.min(chunkBytes, position);
      position -= length;
      const piece = Buffer.alloc(length);
      await handle.read(piece, 0, length, position);
      const newline = piece.lastIndexOf(NEWLINE);
      if (newline === length - 1 && pieces.length === 0) return undefined;
      if (newline !== -1) {
        pieces.unshift(piece.subarray(newline + 1));
        position += newline + 1;
        break;
      }
      pieces.unshift(piece);
    }
    if (pieces.length === 0) return undefined;
    return { text: Buffer.concat(pieces).toString('utf8'), offset: position };
  } finally {
    await handle.close();
  }
}

/**
 * @internal Writes lines to a file through a buffer of about `chunkBytes`, so that rewriting a large
 * file never builds it as one string. The file is opened (created or truncated) on the first write
 * or on {@link LineWriter.close}.
 */
export class LineWriter {
  private handle: fs.FileHandle | undefined;
  private buffered: string[] = [];
  private bufferedBytes = 0;

  constructor(
    readonly file: string,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {}

  /** Adds `line` and a newline; writes the buffer out once it holds `chunkBytes`. */
  async write(line: string): Promise<void> {
    this.buffered.push(line, '\n');
    this.bufferedBytes += Buffer.byteLength(line, 'utf8') + 1;
    if (this.bufferedBytes >= this.chunkBytes) await this.flush();
  }

  /** Writes out what is buffered, flushes it to the disk when `sync`, and closes the file. */
  async close(sync: boolean): Promise<void> {
    await this.flush();
    const handle = await this.open();
    this.handle = undefined;
    try {
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Closes the file, if open, and removes it. */
  async discard(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.buffered = [];
    await handle?.close().catch(() => undefined);
    await fs.rm(this.file, { force: true });
  }

  private async open(): Promise<fs.FileHandle> {
    this.handle ??= await fs.open(this.file, 'w');
    return this.handle;
  }

  private async flush(): Promise<void> {
    const handle = await this.open();
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.bufferedBytes = 0;
    await handle.writeFile(text, 'utf8');
  }
}

async function openIfExists(file: string): Promise<fs.FileHandle | undefined> {
  try {
    return await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
