import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeValue } from '../errors/backpressure-error.js';
import type { DeadLetterQueue, DeadLetterRecord } from '../dead-letter/dead-letter-record.js';
import { assertInteger, assertNonEmptyString } from '../internal/validate.js';

/**
 * Options of a {@link FileDeadLetterQueue}.
 *
 * @example
 * ```ts
 * const options: FileDeadLetterQueueOptions = { path: '/var/lib/ingest/dead-letters.ndjson', fsync: true };
 * ```
 */
export interface FileDeadLetterQueueOptions {
  /** The NDJSON file. Created on the first `put`; its directory must exist. */
  readonly path: string;
  /**
   * Flush each append (and each rewrite) to the disk with `fsync` before `put` resolves, so that a
   * record survives a power loss. Slower: one disk flush per dead-lettered batch. @default false
   */
  readonly fsync?: boolean;
}

/**
 * Where {@link FileDeadLetterQueue.resubmit} sends the items of replayed records: a
 * `WriteCoordinator`, or anything with the same `submitMany`.
 *
 * @example
 * ```ts
 * const target: ResubmitTarget<Tick> = coordinator;
 * ```
 */
export interface ResubmitTarget<T> {
  /** Accepts the items of one record; on a rejection the record stays in the file, moved to its end. */
  submitMany(items: readonly T[]): Promise<unknown>;
}

/**
 * What {@link FileDeadLetterQueue.resubmit} did.
 *
 * @example
 * ```ts
 * const { records, items, failed }: ResubmitResult = await deadLetter.resubmit(coordinator);
 * ```
 */
export interface ResubmitResult {
  /** Records whose items were accepted by the target (and have been removed from the file). */
  readonly records: number;
  /** Items in those records. */
  readonly items: number;
  /** Records whose `submitMany` rejected; they are still in the file, moved to its end. */
  readonly failed: number;
}

interface Loaded<T> {
  readonly records: DeadLetterRecord<T>[];
  /** The text of each record's line, to rewrite the rest byte for byte. */
  readonly lines: string[];
  /** A last line cut short by a crash mid-append, if any. */
  readonly torn: string | null;
}

/**
 * A durable dead-letter queue: one JSON record a line (NDJSON) in a file, for
 * `rxjs-backpressure/node`. Lossless and unbounded: the file grows with every dead-lettered batch
 * until records are replayed.
 *
 * - Appends are serialised, so concurrent `put`s produce whole lines; with `fsync` each append is
 *   flushed to the disk before `put` resolves.
 * - A last line cut short by a crash is skipped by `read`, `replay` and `resubmit` (and counted in
 *   {@link FileDeadLetterQueue.tornLinesSkipped}); before the next append or rewrite it is moved to
 *   `<path>.torn`, so it is neither glued to the next record nor silently erased. Any other malformed
 *   line makes them reject with a `SyntaxError` naming the file and line number.
 * - `replay` and `resubmit` rewrite the remaining records atomically (a temporary file renamed over
 *   the original); `resubmit` removes a record only once the target has accepted it. They and `read`
 *   load the whole file into memory: replay regularly rather than letting it grow.
 *
 * Items must be JSON-serialisable: `JSON.stringify` turns `undefined` in arrays into `null`, drops
 * functions and symbols, converts `Date`s to strings, and throws on `BigInt` and cycles (then `put`
 * rejects and the coordinator keeps the record in memory). Use one instance per file: the
 * serialisation is per instance, not across processes.
 *
 * @example
 * ```ts
 * import { FileDeadLetterQueue } from 'rxjs-backpressure/node';
 *
 * const deadLetter = new FileDeadLetterQueue<Tick>({ path: './dead-letters.ndjson', fsync: true });
 * const coordinator = new WriteCoordinator<Tick>({ sink, deadLetter });
 * // after an outage, feed what was dead-lettered back in:
 * const { records, items, failed } = await deadLetter.resubmit(coordinator);
 * ```
 */
export class FileDeadLetterQueue<T> implements DeadLetterQueue<T> {
  /** The NDJSON file. */
  readonly path: string;
  /** Whether appends and rewrites are flushed to the disk. */
  readonly fsync: boolean;

  #chain: Promise<unknown> = Promise.resolve();
  #resubmitting: Promise<unknown> = Promise.resolve();
  #tornLinesSkipped = 0;
  /** Whether the file is known to end on a whole line; a failed append may leave half a line. */
  #tailChecked = false;

  constructor(options: FileDeadLetterQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`FileDeadLetterQueue options must be an object, found ${describeValue(options)}`);
    }
    const { path: file, fsync = false } = options;
    this.path = assertNonEmptyString('path', file);
    if (typeof fsync !== 'boolean')
      throw new TypeError(`fsync must be a boolean, found ${describeValue(fsync)}`);
    this.fsync = fsync;
  }

  /**
   * Torn last lines (0 or 1) skipped by the most recent `read`, `replay` or `resubmit`.
   *
   * @example
   * ```ts
   * const records = await deadLetter.read();
   * if (deadLetter.tornLinesSkipped > 0) console.warn('a record was cut short by a crash');
   * ```
   */
  get tornLinesSkipped(): number {
    return this.#tornLinesSkipped;
  }

  /**
   * Appends `record` as one line. Resolves once it is written (and flushed, with `fsync`); rejects
   * if the record is not JSON-serialisable or the file cannot be written.
   *
   * @example
   * ```ts
   * await deadLetter.put({ ts: Date.now(), coordinatorId: 'a', reason: 'shutdown', error, attempts: 0, items });
   * ```
   */
  put(record: DeadLetterRecord<T>): Promise<void> {
    if (typeof record !== 'object' || record === null) {
      return Promise.reject(
        new TypeError(`record must be a dead-letter record object, found ${describeValue(record)}`),
      );
    }
    let line: string;
    try {
      // Serialised now, so that later changes to the items do not leak into the file.
      line = `${JSON.stringify(record)}\n`;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError(String(error)));
    }
    return this.#serialised(async () => {
      if (!this.#tailChecked) await this.#setAsideTornTail();
      this.#tailChecked = false;
      await this.#append(line);
      this.#tailChecked = true;
    });
  }

  /**
   * All records, oldest first, without removing them. Skips a torn last line.
   *
   * @throws SyntaxError (as a rejection) naming the line of any other malformed record.
   * @example
   * ```ts
   * const records = await deadLetter.read();
   * console.table(records.map((r) => ({ reason: r.reason, size: r.items.length })));
   * ```
   */
  read(): Promise<DeadLetterRecord<T>[]> {
    return this.#serialised(async () => (await this.#load()).records);
  }

  /**
   * Removes and returns the oldest `max` records (all of them when omitted); the rest are rewritten
   * atomically. Skips a torn last line.
   *
   * @throws RangeError unless `max` is an integer `>= 0`; SyntaxError (as a rejection) naming the
   *   line of a malformed record, in which case the file is left as it was.
   * @example
   * ```ts
   * for (const record of await deadLetter.replay(100)) await coordinator.submitMany(record.items);
   * ```
   */
  replay(max?: number): Promise<DeadLetterRecord<T>[]> {
    if (max !== undefined) assertInteger('max', max, 0);
    return this.#serialised(async () => {
      const loaded = await this.#load();
      const count = max === undefined ? loaded.records.length : Math.min(max, loaded.records.length);
      if (count === 0 && loaded.torn === null) return [];
      if (loaded.torn !== null) await this.#appendTorn(loaded.torn);
      await this.#rewrite(loaded.lines.slice(count));
      this.#tailChecked = true;
      return loaded.records.slice(0, count);
    });
  }

  /**
   * Submits the items of the oldest `max` records (all when omitted) to `target`, one record at a
   * time and in order, so that a `'block'` coordinator paces the resubmission, and then removes the
   * accepted records from the file. Records whose `submitMany` rejects stay in the file and are moved
   * to its end (as the newest), so that the next call starts with the others.
   *
   * Nothing leaves the file before the target has accepted it: the records are read, submitted, and
   * removed in atomic rewrites (one after every 100 accepted or failed records, and one at the end)
   * that keep every record put in the meantime. A crash, or a `submitMany` that never settles, leaves
   * the records not yet removed in the file. Delivery is therefore at least once: after a crash, or
   * when a removal fails, records already accepted are submitted again by the next call, and a record
   * that failed after a partial acceptance is submitted again in full. Calls on one instance run one
   * after another; do not `replay` while a `resubmit` runs, or both hand out the same records.
   *
   * @throws TypeError (as a rejection) unless `target` has a `submitMany` function; RangeError
   *   unless `max` is an integer `>= 0`; SyntaxError naming the line of a malformed record (nothing
   *   is submitted); an `Error` whose message counts the accepted records left in the file, with the
   *   I/O error as `cause`, when a removal fails (submission stops there; nothing is lost).
   * @example
   * ```ts
   * const { records, items, failed } = await deadLetter.resubmit(coordinator, { max: 1_000 });
   * ```
   */
  async resubmit(
    target: ResubmitTarget<T>,
    options: { readonly max?: number } = {},
  ): Promise<ResubmitResult> {
    if (typeof target !== 'object' || target === null || typeof target.submitMany !== 'function') {
      throw new TypeError(`target must have a submitMany function, found ${describeValue(target)}`);
    }
    const { max } = options;
    if (max !== undefined) assertInteger('max', max, 0);
    // One resubmission at a time: two would submit the same snapshot twice.
    const run = this.#resubmitting.then(() => this.#resubmit(target, max));
    this.#resubmitting = run.catch(() => undefined);
    return run;
  }

  async #resubmit(target: ResubmitTarget<T>, max: number | undefined): Promise<ResubmitResult> {
    const snapshot = await this.#serialised(async () => {
      const loaded = await this.#load();
      const count = max === undefined ? loaded.records.length : Math.min(max, loaded.records.length);
      return { records: loaded.records.slice(0, count), lines: loaded.lines.slice(0, count) };
    });
    let records = 0;
    let items = 0;
    let failed = 0;
    let accepted: string[] = [];
    let rejected: string[] = [];
    const remove = async (): Promise<void> => {
      if (accepted.length === 0 && rejected.length === 0) return;
      const [acceptedLines, rejectedLines] = [accepted, rejected];
      accepted = [];
      rejected = [];
      try {
        await this.#serialised(() => this.#removeLines(acceptedLines, rejectedLines));
      } catch (error) {
        throw new Error(
          `${this.path}: ${acceptedLines.length} record(s) accepted by the resubmit target could not be removed from the file; they stay in it and will be submitted again (${records} accepted in all, ${failed} failed)`,
          { cause: error },
        );
      }
    };
    // Submitted outside the serialisation chain: a blocked submitMany may need a worker to put a new
    // dead letter into this very file to make room.
    for (const [index, record] of snapshot.records.entries()) {
      const line = snapshot.lines[index] ?? '';
      try {
        await target.submitMany(record.items);
        records += 1;
        items += record.items.length;
        accepted.push(line);
      } catch {
        failed += 1;
        rejected.push(line);
      }
      if (accepted.length + rejected.length >= RESUBMIT_REMOVAL_EVERY) await remove();
    }
    await remove();
    return { records, items, failed };
  }

  /**
   * Rewrites the file without one occurrence of each line in `accepted`, and with each line in
   * `rejected` moved to the end. Lines no longer in the file (taken by a `replay`) are not restored;
   * lines appended since the snapshot are kept.
   */
  async #removeLines(accepted: readonly string[], rejected: readonly string[]): Promise<void> {
    const loaded = await this.#load();
    const pending = new Map<string, number>();
    for (const line of [...accepted, ...rejected]) pending.set(line, (pending.get(line) ?? 0) + 1);
    const movable = new Map<string, number>();
    for (const line of rejected) movable.set(line, (movable.get(line) ?? 0) + 1);
    const kept: string[] = [];
    const moved: string[] = [];
    for (const line of loaded.lines) {
      const count = pending.get(line) ?? 0;
      if (count === 0) {
        kept.push(line);
        continue;
      }
      pending.set(line, count - 1);
      const toMove = movable.get(line) ?? 0;
      if (toMove > 0) {
        movable.set(line, toMove - 1);
        moved.push(line);
      }
    }
    if (loaded.torn !== null) await this.#appendTorn(loaded.torn);
    await this.#rewrite([...kept, ...moved]);
    this.#tailChecked = true;
  }

  #serialised<R>(operation: () => Promise<R>): Promise<R> {
    const result = this.#chain.then(operation);
    // The chain outlives failures: one bad record must not block the ones after it.
    this.#chain = result.catch(() => undefined);
    return result;
  }

  async #readText(): Promise<string> {
    try {
      return await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
  }

  async #load(): Promise<Loaded<T>> {
    const text = await this.#readText();
    const parts = text.split('\n');
    // With a final newline the last part is ''; without one it is a line the writer never finished.
    const last = parts.pop() ?? '';
    const records: DeadLetterRecord<T>[] = [];
    const lines: string[] = [];
    parts.forEach((line, index) => {
      if (line.trim() === '') return;
      records.push(this.#parse(line, index + 1));
      lines.push(line);
    });
    let torn: string | null = null;
    this.#tornLinesSkipped = 0;
    if (last.trim() !== '') {
      const record = tryParse<T>(last);
      if (record === undefined) {
        torn = last;
        this.#tornLinesSkipped += 1;
      } else {
        // Complete but for its newline: keep it.
        records.push(record);
        lines.push(last);
      }
    }
    return { records, lines, torn };
  }

  #parse(line: string, lineNumber: number): DeadLetterRecord<T> {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SyntaxError(
        `${this.path}:${lineNumber}: malformed dead-letter record: expected a JSON object, found ${describeLine(line)}`,
        { cause: error },
      );
    }
    if (!isRecordShape(value)) {
      throw new SyntaxError(
        `${this.path}:${lineNumber}: malformed dead-letter record: expected an object with ts, coordinatorId, reason, error, attempts and items, found ${describeLine(line)}`,
      );
    }
    return value as DeadLetterRecord<T>;
  }

  /** Moves a torn tail left by a crash out of the way, so the next append starts on a fresh line. */
  async #setAsideTornTail(): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    let size: number;
    let lastByte: number;
    try {
      size = (await handle.stat()).size;
      if (size === 0) return;
      const buffer = Buffer.alloc(1);
      await handle.read(buffer, 0, 1, size - 1);
      lastByte = buffer[0] ?? 0x0a;
    } finally {
      await handle.close();
    }
    if (lastByte === 0x0a) return;
    // Rare (only after a crash): read the whole file to find the tail.
    const text = await fs.readFile(this.path, 'utf8');
    const cut = text.lastIndexOf('\n') + 1;
    const tail = text.slice(cut);
    if (tryParse<T>(tail) !== undefined) {
      await this.#append('\n');
      return;
    }
    await this.#appendTorn(tail);
    await fs.truncate(this.path, Buffer.byteLength(text.slice(0, cut), 'utf8'));
  }

  async #appendTorn(tail: string): Promise<void> {
    await fs.appendFile(`${this.path}.torn`, `${tail}\n`, 'utf8');
  }

  async #append(text: string): Promise<void> {
    const handle = await fs.open(this.path, 'a');
    try {
      await handle.writeFile(text, 'utf8');
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async #rewrite(lines: readonly string[]): Promise<void> {
    const temp = path.join(
      path.dirname(this.path),
      `.${path.basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(lines.map((line) => `${line}\n`).join(''), 'utf8');
      if (this.fsync) await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await fs.rename(temp, this.path);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    if (this.fsync) await syncDirectory(path.dirname(this.path));
  }
}

/** Accepted or failed records after which `resubmit` removes them from the file. */
const RESUBMIT_REMOVAL_EVERY = 100;

function tryParse<T>(line: string): DeadLetterRecord<T> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isRecordShape(value) ? (value as DeadLetterRecord<T>) : undefined;
  } catch {
    return undefined;
  }
}

function isRecordShape(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r['ts'] === 'number' &&
    typeof r['coordinatorId'] === 'string' &&
    typeof r['reason'] === 'string' &&
    typeof r['error'] === 'object' &&
    r['error'] !== null &&
    typeof r['attempts'] === 'number' &&
    Array.isArray(r['items'])
  );
}

function describeLine(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

/** Makes a rename durable; not every platform lets a directory be opened, so failures are ignored. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(directory, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}
