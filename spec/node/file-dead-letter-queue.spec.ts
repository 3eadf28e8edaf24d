import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileDeadLetterQueue } from '../../lib/node/file-dead-letter-queue.js';
import { isDeadLetterRemovalError } from '../../lib/errors/dead-letter-removal-error.js';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { DeadLetterRecord } from '../../lib/dead-letter/dead-letter-record.js';

interface Tick {
  readonly symbol: string;
  readonly price: number;
}

function record(n: number, items: Tick[] = [{ symbol: `S${n}`, price: n }]): DeadLetterRecord<Tick> {
  return {
    ts: 1_700_000_000_000 + n,
    coordinatorId: 'ticks',
    reason: 'retries_exhausted',
    error: { name: 'Error', message: `failure ${n}` },
    attempts: 5,
    items,
  };
}

/** The prototype of node's FileHandle, to watch `sync` calls. */
async function fileHandlePrototype(): Promise<{ sync: () => Promise<void> }> {
  const handle = await fs.promises.open(__filename, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
}

/** A promise with its resolve function, to hold a submit open. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Polls `condition` every 5 ms, failing after 5 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('FileDeadLetterQueue', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxjs-backpressure-dlq-'));
    file = path.join(dir, 'dead-letters.ndjson');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const lines = () => fs.readFileSync(file, 'utf8').split('\n');

  describe('put and read', () => {
    it('round-trips records, oldest first', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      const records = [
        record(1),
        record(2, [
          { symbol: 'ü€', price: 1.5 },
          { symbol: '"q"\n', price: -2 },
        ]),
      ];
      for (const r of records) await queue.put(r);
      expect(await queue.read()).toEqual(records);
      // read does not remove
      expect(await queue.read()).toHaveLength(2);
    });

    it('writes one JSON line a record, newline-terminated', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await queue.put(record(1));
      await queue.put(record(2));
      expect(lines()).toEqual([JSON.stringify(record(1)), JSON.stringify(record(2)), '']);
    });

    it('reads nothing from a missing or empty file', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.read()).toEqual([]);
      fs.writeFileSync(file, '');
      expect(await queue.read()).toEqual([]);
    });

    it('sees records written by another instance (durable)', async () => {
      await new FileDeadLetterQueue<Tick>({ path: file }).put(record(7));
      expect(await new FileDeadLetterQueue<Tick>({ path: file }).read()).toEqual([record(7)]);
    });

    it('serialises the record when put is called', async () => {
      const queue = new FileDeadLetterQueue<{ n: number }>({ path: file });
      const items = [{ n: 1 }];
      const done = queue.put({ ...record(1), items });
      items[0]!.n = 99;
      await done;
      expect((await queue.read())[0]!.items).toEqual([{ n: 1 }]);
    });

    it('50 concurrent puts produce 50 whole lines', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      const big = Array.from({ length: 200 }, (_, i) => ({ symbol: 'X'.repeat(50), price: i }));
      await Promise.all(Array.from({ length: 50 }, (_, n) => queue.put(record(n, big))));
      const text = fs.readFileSync(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const written = text.trimEnd().split('\n');
      expect(written).toHaveLength(50);
      const parsed = written.map((line) => JSON.parse(line) as DeadLetterRecord<Tick>);
      expect(parsed.map((r) => r.ts - 1_700_000_000_000)).toEqual(Array.from({ length: 50 }, (_, n) => n));
      expect(parsed.every((r) => r.items.length === 200)).toBe(true);
    });

    it('rejects a record that is not JSON-serialisable, and goes on with the next', async () => {
      const queue = new FileDeadLetterQueue<unknown>({ path: file });
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      await expect(queue.put({ ...record(1), items: [cyclic] })).rejects.toThrow(TypeError);
      await expect(queue.put({ ...record(2), items: [10n] })).rejects.toThrow(TypeError);
      await queue.put(record(3));
      expect(await queue.read()).toEqual([record(3)]);
    });

    it('rejects a put that is not a record', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await expect(queue.put(undefined as never)).rejects.toThrow(
        'record must be a dead-letter record object, found undefined',
      );
    });

    it('rejects when the file cannot be written, and goes on afterwards', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: path.join(dir, 'missing-dir', 'x.ndjson') });
      await expect(queue.put(record(1))).rejects.toMatchObject({ code: 'ENOENT' });
      fs.mkdirSync(path.join(dir, 'missing-dir'));
      await queue.put(record(2));
      expect(await queue.read()).toEqual([record(2)]);
    });
  });

  describe('torn and malformed lines', () => {
    it('skips and counts a torn last line', async () => {
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n${JSON.stringify(record(2)).slice(0, 30)}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.read()).toEqual([record(1)]);
      expect(queue.tornLinesSkipped).toBe(1);
    });

    it('keeps a last record that lacks only its newline', async () => {
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.read()).toEqual([record(1), record(2)]);
      expect(queue.tornLinesSkipped).toBe(0);
      await queue.put(record(3));
      expect(await queue.read()).toEqual([record(1), record(2), record(3)]);
    });

    it('reports a malformed line in the middle with its line number', async () => {
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n{"broken\n${JSON.stringify(record(3))}\n`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await expect(queue.read()).rejects.toThrow(SyntaxError);
      await expect(queue.read()).rejects.toThrow(
        `${file}:2: malformed dead-letter record: expected a JSON object`,
      );
    });

    it('reports a valid JSON line of the wrong shape', async () => {
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n[1,2]\n`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await expect(queue.read()).rejects.toThrow(
        `${file}:2: malformed dead-letter record: expected an object with ts`,
      );
    });

    it('skips blank lines', async () => {
      fs.writeFileSync(file, `\n${JSON.stringify(record(1))}\n\n${JSON.stringify(record(2))}\n`);
      expect(await new FileDeadLetterQueue<Tick>({ path: file }).read()).toEqual([record(1), record(2)]);
    });

    it('puts the torn tail aside before appending, so the next record stays whole', async () => {
      const fragment = JSON.stringify(record(2)).slice(0, 30);
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n${fragment}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await queue.put(record(3));
      expect(await queue.read()).toEqual([record(1), record(3)]);
      expect(queue.tornLinesSkipped).toBe(0);
      expect(fs.readFileSync(`${file}.torn`, 'utf8')).toBe(`${fragment}\n`);
    });
  });

  describe('replay', () => {
    it('removes and returns the oldest max records', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 5; n += 1) await queue.put(record(n));
      expect(await queue.replay(2)).toEqual([record(1), record(2)]);
      expect(await queue.read()).toEqual([record(3), record(4), record(5)]);
      expect(lines()).toHaveLength(4);
    });

    it('removes everything without max', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      expect(await queue.replay()).toHaveLength(3);
      expect(await queue.read()).toEqual([]);
      expect(fs.readFileSync(file, 'utf8')).toBe('');
    });

    it('returns nothing from a missing file, and leaves no file behind', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.replay()).toEqual([]);
      expect(fs.existsSync(file)).toBe(false);
    });

    it('skips a torn last line, setting it aside', async () => {
      const fragment = JSON.stringify(record(3)).slice(0, 25);
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n${fragment}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.replay(1)).toEqual([record(1)]);
      expect(queue.tornLinesSkipped).toBe(1);
      expect(await queue.read()).toEqual([record(2)]);
      expect(fs.readFileSync(file, 'utf8')).toBe(`${JSON.stringify(record(2))}\n`);
      expect(fs.readFileSync(`${file}.torn`, 'utf8')).toBe(`${fragment}\n`);
    });

    it('leaves the file untouched when a line is malformed', async () => {
      const text = `${JSON.stringify(record(1))}\nnot json\n${JSON.stringify(record(3))}\n`;
      fs.writeFileSync(file, text);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await expect(queue.replay()).rejects.toThrow(`${file}:2:`);
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    });

    it('leaves no temporary files behind', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      await queue.replay(1);
      expect(fs.readdirSync(dir)).toEqual(['dead-letters.ndjson']);
    });

    it('keeps puts made during a replay', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      const [replayed] = await Promise.all([queue.replay(), queue.put(record(4)), queue.put(record(5))]);
      expect(replayed).toEqual([record(1), record(2), record(3)]);
      expect(await queue.read()).toEqual([record(4), record(5)]);
    });

    it.each([
      [-1, RangeError],
      [0.5, RangeError],
      ['1', TypeError],
    ])('rejects max %p', async (max, Kind) => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await queue.put(record(1));
      expect(() => queue.replay(max as number)).toThrow(Kind);
      expect(await queue.read()).toHaveLength(1);
    });
  });

  describe('resubmit', () => {
    it('submits every record, in order, and empties the file', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1)
        await queue.put(
          record(n, [
            { symbol: 'A', price: n },
            { symbol: 'B', price: n },
          ]),
        );
      const submitted: (readonly Tick[])[] = [];
      const result = await queue.resubmit({ submitMany: async (items) => void submitted.push(items) });
      expect(result).toEqual({ records: 3, items: 6, failed: 0 });
      expect(submitted.map((items) => items.map((t) => t.price))).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
      expect(await queue.read()).toEqual([]);
    });

    it('keeps the records whose submit rejected, moved to the end', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 4; n += 1) await queue.put(record(n));
      const target = {
        submitMany: async (items: readonly Tick[]) => {
          if (items[0]!.price % 2 === 0) throw new Error('coordinator closed');
        },
      };
      const result = await queue.resubmit(target);
      expect(result).toEqual({ records: 2, items: 2, failed: 2 });
      expect(await queue.read()).toEqual([record(2), record(4)]);
    });

    it('takes at most max records', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 4; n += 1) await queue.put(record(n));
      const seen: number[] = [];
      const result = await queue.resubmit(
        { submitMany: async (items) => void seen.push(items[0]!.price) },
        { max: 3 },
      );
      expect(result).toEqual({ records: 3, items: 3, failed: 0 });
      expect(seen).toEqual([1, 2, 3]);
      expect(await queue.read()).toEqual([record(4)]);
    });

    it('lets the target put new dead letters into the same file while it submits', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await queue.put(record(1));
      const result = await queue.resubmit({ submitMany: () => queue.put(record(9)) });
      expect(result.records).toBe(1);
      expect(await queue.read()).toEqual([record(9)]);
    });

    it('round-trips through real coordinators: dead-lettered to the file, then resubmitted and written', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file, fsync: true });
      const failing = new WriteCoordinator<Tick>({
        id: 'ticks',
        sink: () => {
          throw Object.assign(new Error('schema mismatch'), { retryable: false });
        },
        batchSize: 4,
        flushIntervalMs: 5,
        deadLetter: queue,
        bus: null,
      });
      failing.start();
      const ticks = Array.from({ length: 10 }, (_, n) => ({ symbol: 'T', price: n }));
      await failing.submitMany(ticks);
      await failing.stop({ drain: true, timeoutMs: 5_000 });
      // The coordinator does not await put; the serialised chain does.
      const deadLettered = await queue.read();
      expect(deadLettered.every((r) => r.reason === 'non_retryable' && r.coordinatorId === 'ticks')).toBe(
        true,
      );
      expect(deadLettered.every((r) => r.error.message === 'schema mismatch')).toBe(true);
      expect(deadLettered.flatMap((r) => r.items)).toHaveLength(10);

      const written: Tick[] = [];
      const healthy = new WriteCoordinator<Tick>({
        sink: (batch) => void written.push(...batch),
        flushIntervalMs: 5,
        bus: null,
      });
      healthy.start();
      const result = await queue.resubmit(healthy);
      await healthy.stop({ drain: true, timeoutMs: 5_000 });
      expect(result).toEqual({ records: deadLettered.length, items: 10, failed: 0 });
      expect(written.map((t) => t.price).sort((a, b) => a - b)).toEqual(ticks.map((t) => t.price));
      expect(await queue.read()).toEqual([]);
    });

    it('keeps the records when the coordinator is already stopped', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await queue.put(record(1));
      const stopped = new WriteCoordinator<Tick>({ sink: () => undefined, bus: null });
      await stopped.stop();
      expect(await queue.resubmit(stopped)).toEqual({ records: 0, items: 0, failed: 1 });
      expect(await queue.read()).toEqual([record(1)]);
    });

    it('keeps every record in the file while a submit hangs', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      const second = deferred();
      const called: number[] = [];
      const target = {
        submitMany: (items: readonly Tick[]) => {
          called.push(items[0]!.price);
          return items[0]!.price === 2 ? second.promise : Promise.resolve();
        },
      };
      const running = queue.resubmit(target);
      await until(() => called.length === 2);
      // A process restarted now (a fresh instance) still finds all three, the accepted one included.
      expect(await new FileDeadLetterQueue<Tick>({ path: file }).read()).toEqual([
        record(1),
        record(2),
        record(3),
      ]);
      second.resolve();
      expect(await running).toEqual({ records: 3, items: 3, failed: 0 });
      expect(await queue.read()).toEqual([]);
    });

    it('leaves the records in the file when the process dies between submit and removal', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      const before = fs.readFileSync(file, 'utf8');
      // The "crash": from the last accepted submit on, no rewrite can land.
      const rename = jest.spyOn(fs.promises, 'rename');
      try {
        const target = {
          submitMany: async (items: readonly Tick[]) => {
            if (items[0]!.price === 3) rename.mockRejectedValue(new Error('EIO: killed before the rename'));
          },
        };
        const error = await queue.resubmit(target).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(error?.message).toBe(
          `${file}: 3 record(s) accepted by the resubmit target could not be removed from the file; they stay in it and will be submitted again (3 accepted in all, 0 failed)`,
        );
        expect(isDeadLetterRemovalError(error)).toBe(true);
        expect((error?.cause as Error).message).toBe('EIO: killed before the rename');
      } finally {
        rename.mockRestore();
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
      expect(fs.readdirSync(dir)).toEqual(['dead-letters.ndjson']);
      // The next run submits them again (at least once).
      const seen: number[] = [];
      expect(await queue.resubmit({ submitMany: async (items) => void seen.push(items[0]!.price) })).toEqual({
        records: 3,
        items: 3,
        failed: 0,
      });
      expect(seen).toEqual([1, 2, 3]);
      expect(await queue.read()).toEqual([]);
    });

    it('reports a failed move of rejected records, which stay in the file', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      const rename = jest.spyOn(fs.promises, 'rename').mockRejectedValue(new Error('ENOSPC: disk full'));
      try {
        const target = {
          submitMany: async (items: readonly Tick[]) => {
            if (items[0]!.price === 2) throw new Error('coordinator closed');
          },
        };
        await expect(queue.resubmit(target)).rejects.toThrow(
          '2 record(s) accepted by the resubmit target could not be removed from the file; they stay in it and will be submitted again (2 accepted in all, 1 failed)',
        );
      } finally {
        rename.mockRestore();
      }
      expect(await queue.read()).toEqual([record(1), record(2), record(3)]);
    });

    it('moves rejected records behind the ones put while it ran', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 3; n += 1) await queue.put(record(n));
      const target = {
        submitMany: async (items: readonly Tick[]) => {
          if (items[0]!.price === 1) throw new Error('coordinator closed');
          if (items[0]!.price === 2) await queue.put(record(9));
        },
      };
      expect(await queue.resubmit(target)).toEqual({ records: 2, items: 2, failed: 1 });
      expect(await queue.read()).toEqual([record(9), record(1)]);
    });

    it('removes accepted records in steps of 100 while it runs', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 150; n += 1) await queue.put(record(n));
      const gate = deferred();
      const target = {
        submitMany: (items: readonly Tick[]) => (items[0]!.price === 120 ? gate.promise : Promise.resolve()),
      };
      const running = queue.resubmit(target);
      await until(async () => (await new FileDeadLetterQueue<Tick>({ path: file }).read()).length === 50);
      const left = await new FileDeadLetterQueue<Tick>({ path: file }).read();
      expect(left.map((r) => r.items[0]!.price)).toEqual(Array.from({ length: 50 }, (_, i) => 101 + i));
      gate.resolve();
      expect(await running).toEqual({ records: 150, items: 150, failed: 0 });
      expect(await queue.read()).toEqual([]);
    });

    it('runs concurrent resubmits one after another, so no record is submitted twice', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      for (let n = 1; n <= 4; n += 1) await queue.put(record(n));
      const seen: number[] = [];
      const target = {
        submitMany: async (items: readonly Tick[]) => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          seen.push(items[0]!.price);
        },
      };
      const results = await Promise.all([queue.resubmit(target), queue.resubmit(target)]);
      expect(results).toEqual([
        { records: 4, items: 4, failed: 0 },
        { records: 0, items: 0, failed: 0 },
      ]);
      expect(seen).toEqual([1, 2, 3, 4]);
    });

    it('submits nothing when a line is malformed, and leaves the file as it was', async () => {
      const text = `${JSON.stringify(record(1))}\nnot json\n`;
      fs.writeFileSync(file, text);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      const submitMany = jest.fn(async () => undefined);
      await expect(queue.resubmit({ submitMany })).rejects.toThrow(`${file}:2:`);
      expect(submitMany).not.toHaveBeenCalled();
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    });

    it('sets aside a torn last line and resubmits the whole records', async () => {
      const fragment = JSON.stringify(record(3)).slice(0, 25);
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n${fragment}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.resubmit({ submitMany: async () => undefined })).toEqual({
        records: 2,
        items: 2,
        failed: 0,
      });
      expect(queue.tornLinesSkipped).toBe(1);
      expect(fs.readFileSync(file, 'utf8')).toBe('');
      expect(fs.readFileSync(`${file}.torn`, 'utf8')).toBe(`${fragment}\n`);
    });

    it('rejects a bad max before submitting anything', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await queue.put(record(1));
      const submitMany = jest.fn(async () => undefined);
      await expect(queue.resubmit({ submitMany }, { max: -1 })).rejects.toThrow(RangeError);
      expect(submitMany).not.toHaveBeenCalled();
      expect(await queue.read()).toHaveLength(1);
    });

    it('rejects a target without submitMany', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      await expect(queue.resubmit({} as never)).rejects.toThrow('target must have a submitMany function');
    });
  });

  describe('files read in chunks', () => {
    // A 7-byte chunk cuts every record line (about 150 bytes) into many pieces, as 64 KiB chunks cut
    // the lines of a large file.
    const chunkBytes = 7;
    const unicode = (n: number) => record(n, [{ symbol: `é€𝄞${n}`, price: n }]);

    it('round-trips records whose lines and multi-byte characters span chunks', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file, chunkBytes });
      for (let n = 1; n <= 5; n += 1) await queue.put(unicode(n));
      expect(await queue.read()).toEqual([1, 2, 3, 4, 5].map(unicode));
      for (let size = 1; size <= 8; size += 1) {
        expect(await new FileDeadLetterQueue<Tick>({ path: file, chunkBytes: size }).read()).toEqual(
          [1, 2, 3, 4, 5].map(unicode),
        );
      }
    });

    it('skips a torn tail that starts in an earlier chunk', async () => {
      const fragment = JSON.stringify(unicode(3)).slice(0, 30);
      fs.writeFileSync(file, `${JSON.stringify(unicode(1))}\n${JSON.stringify(unicode(2))}\n${fragment}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file, chunkBytes });
      expect(await queue.read()).toEqual([unicode(1), unicode(2)]);
      expect(queue.tornLinesSkipped).toBe(1);
    });

    it('sets a torn tail longer than a chunk aside before appending', async () => {
      const whole = `${JSON.stringify(unicode(1))}\n`;
      const fragment = JSON.stringify(unicode(2)).slice(0, 40);
      fs.writeFileSync(file, `${whole}${fragment}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file, chunkBytes });
      await queue.put(unicode(3));
      expect(fs.readFileSync(file, 'utf8')).toBe(`${whole}${JSON.stringify(unicode(3))}\n`);
      expect(fs.readFileSync(`${file}.torn`, 'utf8')).toBe(`${fragment}\n`);
    });

    it('keeps a last record that lacks only its newline', async () => {
      fs.writeFileSync(file, `${JSON.stringify(unicode(1))}\n${JSON.stringify(unicode(2))}`);
      const queue = new FileDeadLetterQueue<Tick>({ path: file, chunkBytes });
      expect(await queue.read()).toEqual([unicode(1), unicode(2)]);
      expect(queue.tornLinesSkipped).toBe(0);
    });

    it('names the line of a malformed record', async () => {
      fs.writeFileSync(
        file,
        `${JSON.stringify(unicode(1))}\n${JSON.stringify(unicode(2))}\nnot json at all\n`,
      );
      await expect(new FileDeadLetterQueue<Tick>({ path: file, chunkBytes }).read()).rejects.toThrow(
        `${file}:3: malformed dead-letter record`,
      );
    });

    it('replays and rewrites the rest byte for byte', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file, chunkBytes });
      for (let n = 1; n <= 6; n += 1) await queue.put(unicode(n));
      expect(await queue.replay(2)).toEqual([unicode(1), unicode(2)]);
      expect(fs.readFileSync(file, 'utf8')).toBe(
        [3, 4, 5, 6].map((n) => `${JSON.stringify(unicode(n))}\n`).join(''),
      );
      expect(fs.readdirSync(dir)).toEqual(['dead-letters.ndjson']);
    });

    it('resubmits more records than one removal step, in order', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file, chunkBytes: 64 });
      for (let n = 1; n <= 230; n += 1) await queue.put(record(n));
      const seen: number[] = [];
      const target = {
        submitMany: async (items: readonly Tick[]) => {
          if (items[0]!.price % 50 === 0) throw new Error('refused');
          seen.push(items[0]!.price);
        },
      };
      expect(await queue.resubmit(target)).toEqual({ records: 226, items: 226, failed: 4 });
      expect(seen).toEqual(Array.from({ length: 230 }, (_, i) => i + 1).filter((n) => n % 50 !== 0));
      expect(await queue.read()).toEqual([50, 100, 150, 200].map((n) => record(n)));
    });

    it('rejects a chunk size that is not a positive integer', () => {
      expect(() => new FileDeadLetterQueue({ path: file, chunkBytes: 0 })).toThrow(
        'chunkBytes must be an integer >= 1, found 0',
      );
    });
  });

  describe('temporary files left by a crash', () => {
    const orphan = (id: string) => path.join(dir, `.dead-letters.ndjson.${id}.tmp`);

    it('removes them on the first operation, keeping the records', async () => {
      fs.writeFileSync(file, `${JSON.stringify(record(1))}\n`);
      fs.writeFileSync(orphan('0123456789ab'), 'half a rewrite');
      fs.writeFileSync(orphan('ffffffffffff'), '');
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      expect(await queue.read()).toEqual([record(1)]);
      expect(fs.readdirSync(dir)).toEqual(['dead-letters.ndjson']);
    });

    it('leaves files of other names alone', async () => {
      const others = [
        '.dead-letters.ndjson.0123456789.tmp', // too short an id
        '.dead-letters.ndjson.0123456789AB.tmp', // not lower-case hex
        '.other.ndjson.0123456789ab.tmp', // another file's
        'dead-letters.ndjson.0123456789ab.tmp', // no leading dot
        '.dead-letters.ndjson.0123456789ab.tmp.keep',
        'dead-letters.ndjson.torn',
      ];
      for (const name of others) fs.writeFileSync(path.join(dir, name), 'not ours');
      await new FileDeadLetterQueue<Tick>({ path: file }).put(record(1));
      expect(fs.readdirSync(dir).sort()).toEqual([...others, 'dead-letters.ndjson'].sort());
    });

    it('removes them before the first put when the file does not exist yet', async () => {
      fs.writeFileSync(orphan('abcdefabcdef'), '');
      await new FileDeadLetterQueue<Tick>({ path: file }).put(record(1));
      expect(fs.readdirSync(dir)).toEqual(['dead-letters.ndjson']);
    });
  });

  describe('fsync', () => {
    it('writes, replays and rewrites with fsync on', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file, fsync: true });
      expect(queue.fsync).toBe(true);
      await Promise.all([1, 2, 3].map((n) => queue.put(record(n))));
      expect(await queue.replay(1)).toEqual([record(1)]);
      expect(await queue.read()).toEqual([record(2), record(3)]);
      expect(fs.readdirSync(dir)).toEqual(['dead-letters.ndjson']);
    });

    it('flushes each append with FileHandle.sync', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file, fsync: true });
      const proto = await fileHandlePrototype();
      const spy = jest.spyOn(proto, 'sync');
      try {
        await queue.put(record(1));
        await queue.put(record(2));
        expect(spy).toHaveBeenCalledTimes(2);
      } finally {
        spy.mockRestore();
      }
    });

    it('does not sync without fsync', async () => {
      const queue = new FileDeadLetterQueue<Tick>({ path: file });
      const proto = await fileHandlePrototype();
      const spy = jest.spyOn(proto, 'sync');
      try {
        await queue.put(record(1));
        expect(spy).not.toHaveBeenCalled();
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('options', () => {
    it.each([
      [undefined, TypeError, 'FileDeadLetterQueue options must be an object, found undefined'],
      [{ path: '' }, TypeError, 'path must be a non-empty string, found string ""'],
      [{ path: 42 }, TypeError, 'path must be a non-empty string, found number 42'],
      [{ path: 'x', fsync: 'yes' }, TypeError, 'fsync must be a boolean, found string "yes"'],
    ])('rejects %p', (options, Kind, message) => {
      expect(() => new FileDeadLetterQueue(options as never)).toThrow(Kind);
      expect(() => new FileDeadLetterQueue(options as never)).toThrow(message);
    });

    it('defaults fsync to false', () => {
      expect(new FileDeadLetterQueue({ path: 'x' }).fsync).toBe(false);
    });
  });
});
