import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeValue } from '../internal/describe-value.js';
import type { DeadLetterQueue, DeadLetterRecord } from '../dead-letter/dead-letter-record.js';
import { DeadLetterRemovalError } from '../errors/dead-letter-removal-error.js';
import { assertInteger, assertNonEmptyString } from '../internal/validate.js';
import { DEFAULT_CHUNK_BYTES, LineWriter, readLines, readUnterminatedTail } from './file-lines.js';

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
  /** @internal Bytes read or written at a time (a small value exercises the chunked paths). @default 65536 */
  readonly chunkBytes?: number;
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
 *   the original); `resubmit` removes a record only once the target has accepted it. A temporary
 *   file left by a crash mid-rewrite is removed by the first operation of a new instance.
 * - The file is read line by line, 64 KiB at a time, so its size is bounded by the disk only:
 *   `replay(max)` and `resubmit` hold the records they hand out (`resubmit` 100 at a time), never
 *   the rest of the file; `read` returns every record, so it needs memory for all of them.
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

  private readonly chunkBytes: number;
  private chain: Promise<unknown> = Promise.resolve();
  private resubmitting: Promise<unknown> = Promise.resolve();
  private tornCount = 0;
  /** Whether the file is known to end on a whole line; a failed append may leave half a line. */
  private tailChecked = false;
  /** Whether the temporary files a crash left behind have been removed. */
  private opened = false;

  constructor(options: FileDeadLetterQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`FileDeadLetterQueue options must be an object, found ${describeValue(options)}`);
    }
    const { path: file, fsync = false, chunkBytes = DEFAULT_CHUNK_BYTES } = options;
    this.path = assertNonEmptyString('path', file);
    if (typeof fsync !== 'boolean')
      throw new TypeError(`fsync must be a boolean, found ${describeValue(fsync)}`);
    this.fsync = fsync;
    this.chunkBytes = assertInteger('chunkBytes', chunkBytes, 1);
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
    return this.tornCount;
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
    return this.serialised(async () => {
      if (!this.tailChecked) await this.setAsideTornTail();
      this.tailChecked = false;
      await this.append(line);
      this.tailChecked = true;
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
    return this.serialised(async () => {
      const records: DeadLetterRecord<T>[] = [];
      this.countTorn(await this.scan((record) => void records.push(record)));
      return records;
    });
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
    return this.serialised(async () => {
      const taken: DeadLetterRecord<T>[] = [];
      const rest = this.rewriter();
      try {
        // The records kept are copied to the new file as they are read, never held all at once.
        const torn = await this.scan(async (record, line) => {
          if (max === undefined || taken.length < max) taken.push(record);
          else await rest.write(line);
        });
        this.countTorn(torn);
        if (taken.length === 0 && torn === null) {
          await rest.discard();
          return [];
        }
        if (torn !== null) await this.appendTorn(torn);
        await this.commit(rest);
      } catch (error) {
        await rest.discard();
        throw error;
      }
      this.tailChecked = true;
      return taken;
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
   *   is submitted); a {@link DeadLetterRemovalError} counting the accepted records left in the
   *   file, with the I/O error as `cause`, when a removal fails (submission stops there; nothing is
   *   lost).
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
    // One resubmission at a time: two would submit the same records twice.
    const run = this.resubmitting.then(() => this.resubmitRecords(target, max));
    this.resubmitting = run.catch(() => undefined);
    return run;
  }

  private async resubmitRecords(target: ResubmitTarget<T>, max: number | undefined): Promise<ResubmitResult> {
    // The whole file is checked before anything is submitted, but only counted: the records are
    // then read a window at a time from its head, where the ones not yet submitted stay (accepted
    // ones are removed and rejected ones moved behind everything after each window).
    let remaining = await this.serialised(async () => {
      let count = 0;
      this.countTorn(await this.scan(() => void (count += 1)));
      return max === undefined ? count : Math.min(max, count);
    });
    let records = 0;
    let items = 0;
    let failed = 0;
    while (remaining > 0) {
      const window = await this.serialised(() => this.head(Math.min(remaining, RESUBMIT_REMOVAL_EVERY)));
      // Fewer than expected only when a replay took records meanwhile.
      if (window.length === 0) break;
      remaining -= window.length;
      const accepted: string[] = [];
      const rejected: string[] = [];
      // Submitted outside the serialisation chain: a blocked submitMany may need a worker to put a
      // new dead letter into this very file to make room.
      for (const { record, line } of window) {
        try {
          await target.submitMany(record.items);
          records += 1;
          items += record.items.length;
          accepted.push(line);
        } catch {
          failed += 1;
          rejected.push(line);
        }
      }
      try {
        await this.serialised(() => this.removeLines(accepted, rejected));
      } catch (error) {
        throw new DeadLetterRemovalError(this.path, accepted.length, records, failed, error);
      }
    }
    return { records, items, failed };
  }

  /** The first `count` records with their lines, reading no further than needed. */
  private async head(count: number): Promise<{ record: DeadLetterRecord<T>; line: string }[]> {
    const window: { record: DeadLetterRecord<T>; line: string }[] = [];
    await this.scan((record, line) => {
      window.push({ record, line });
      return window.length < count;
    });
    return window;
  }

  /**
   * Rewrites the file without one occurrence of each line in `accepted`, and with each line in
   * `rejected` moved to the end. Lines no longer in the file (taken by a `replay`) are not restored;
   * lines appended since the snapshot are kept.
   */
  private async removeLines(accepted: readonly string[], rejected: readonly string[]): Promise<void> {
    const pending = new Map<string, number>();
    for (const line of [...accepted, ...rejected]) pending.set(line, (pending.get(line) ?? 0) + 1);
    const movable = new Map<string, number>();
    for (const line of rejected) movable.set(line, (movable.get(line) ?? 0) + 1);
    const moved: string[] = [];
    const kept = this.rewriter();
    try {
      const torn = await this.scan(async (_record, line) => {
        const count = pending.get(line) ?? 0;
        if (count === 0) return void (await kept.write(line));
        pending.set(line, count - 1);
        const toMove = movable.get(line) ?? 0;
        if (toMove > 0) {
          movable.set(line, toMove - 1);
          moved.push(line);
        }
      });
      for (const line of moved) await kept.write(line);
      if (torn !== null) await this.appendTorn(torn);
      await this.commit(kept);
    } catch (error) {
      await kept.discard();
      throw error;
    }
    this.tailChecked = true;
  }

  private serialised<R>(operation: () => Promise<R>): Promise<R> {
    const first = !this.opened;
    this.opened = true;
    const result = this.chain.then(async () => {
      if (first) await this.removeOrphanTemporaries();
      return operation();
    });
    // The chain outlives failures: one bad record must not block the ones after it.
    this.chain = result.catch(() => undefined);
    return result;
  }

  private countTorn(torn: string | null): void {
    this.tornCount = torn === null ? 0 : 1;
  }

  /**
   * Reads the file line by line, handing each record to `visit` (which returns `false` to stop
   * early), and returns a torn last line, if any. A last line that is complete but for its newline
   * is a record. Blank lines are skipped; any other malformed line throws a SyntaxError.
   */
  private async scan(
    visit: (record: DeadLetterRecord<T>, line: string) => boolean | void | Promise<boolean | void>,
  ): Promise<string | null> {
    for await (const { text, number, terminated } of readLines(this.path, this.chunkBytes)) {
      if (text.trim() === '') continue;
      if (!terminated) {
        const record = tryParse<T>(text);
        if (record === undefined) return text;
        await visit(record, text);
        return null;
      }
      if ((await visit(this.parse(text, number), text)) === false) return null;
    }
    return null;
  }

  private parse(line: string, lineNumber: number): DeadLetterRecord<T> {
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
  private async setAsideTornTail(): Promise<void> {
    const tail = await readUnterminatedTail(this.path, this.chunkBytes);
    if (tail === undefined) return;
    if (tryParse<T>(tail.text) !== undefined) {
      await this.append('\n');
      return;
    }
    await this.appendTorn(tail.text);
    await fs.truncate(this.path, tail.offset);
  }

  private async appendTorn(tail: string): Promise<void> {
    await fs.appendFile(`${this.path}.torn`, `${tail}\n`, 'utf8');
  }

  private async append(text: string): Promise<void> {
    const handle = await fs.open(this.path, 'a');
    try {
      await handle.writeFile(text, 'utf8');
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** A writer of the file's next version: a temporary file that {@link commit} renames over it. */
  private rewriter(): LineWriter {
    const name = `.${path.basename(this.path)}.${randomBytes(TEMPORARY_ID_BYTES).toString('hex')}.tmp`;
    return new LineWriter(path.join(path.dirname(this.path), name), this.chunkBytes);
  }

  private async commit(next: LineWriter): Promise<void> {
    await next.close(this.fsync);
    await fs.rename(next.file, this.path);
    if (this.fsync) await syncDirectory(path.dirname(this.path));
  }

  /**
   * Removes the temporary files of rewrites that a crash interrupted (the original file is whole:
   * only a rename replaces it). Only names of the exact form this class writes for this file are
   * touched.
   */
  private async removeOrphanTemporaries(): Promise<void> {
    const directory = path.dirname(this.path);
    let names: string[];
    try {
      names = await fs.readdir(directory);
    } catch {
      // A missing or unreadable directory has nothing of ours; the operation reports its own error.
      return;
    }
    const prefix = `.${path.basename(this.path)}.`;
    const id = new RegExp(`^[0-9a-f]{${TEMPORARY_ID_BYTES * 2}}\\.tmp$`);
    for (const name of names) {
      if (name.startsWith(prefix) && id.test(name.slice(prefix.length))) {
        await fs.rm(path.join(directory, name), { force: true });
      }
    }
  }
}

/** Accepted or failed records after which `resubmit` removes them from the file. */
const RESUBMIT_REMOVAL_EVERY = 100;

/** Random bytes in a temporary file's name (as hex), so that rewrites never collide. */
const TEMPORARY_ID_BYTES = 6;

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
