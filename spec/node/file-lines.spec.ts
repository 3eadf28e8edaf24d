import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LineWriter, readLines, readUnterminatedTail } from '../../lib/node/file-lines.js';

async function collect(file: string, chunkBytes: number) {
  const lines = [];
  for await (const line of readLines(file, chunkBytes)) lines.push(line);
  return lines;
}

describe('file lines', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxjs-backpressure-lines-'));
    file = path.join(dir, 'lines.ndjson');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('readLines', () => {
    it('yields each line with its number, reading several chunks', async () => {
      fs.writeFileSync(file, 'alpha\nbeta\ngamma\n');
      expect(await collect(file, 4)).toEqual([
        { text: 'alpha', number: 1, terminated: true },
        { text: 'beta', number: 2, terminated: true },
        { text: 'gamma', number: 3, terminated: true },
      ]);
    });

    it.each([1, 2, 3, 5, 7, 64])(
      'gives the same lines at every chunk size (%p bytes)',
      async (chunkBytes) => {
        const text = 'one\n\ntwo three\nfour\n';
        fs.writeFileSync(file, text);
        expect((await collect(file, chunkBytes)).map((line) => line.text)).toEqual([
          'one',
          '',
          'two three',
          'four',
        ]);
      },
    );

    it('joins a line that spans many chunks', async () => {
      const long = 'x'.repeat(1_000);
      fs.writeFileSync(file, `a\n${long}\nb\n`);
      expect((await collect(file, 16)).map((line) => line.text)).toEqual(['a', long, 'b']);
    });

    it('decodes a multi-byte character split across two chunks', async () => {
      // 'é' is 2 bytes, '€' 3 and '𝄞' 4: at a chunk size of 2 every one of them is cut.
      const text = 'aé€𝄞\n€€\n';
      fs.writeFileSync(file, text);
      for (const chunkBytes of [1, 2, 3, 4]) {
        expect((await collect(file, chunkBytes)).map((line) => line.text)).toEqual(['aé€𝄞', '€€']);
      }
    });

    it('marks a last line without newline as unterminated, also when it starts in an earlier chunk', async () => {
      fs.writeFileSync(file, 'whole\n{"torn":');
      expect(await collect(file, 4)).toEqual([
        { text: 'whole', number: 1, terminated: true },
        { text: '{"torn":', number: 2, terminated: false },
      ]);
    });

    it('yields nothing for a missing or empty file', async () => {
      expect(await collect(file, 4)).toEqual([]);
      fs.writeFileSync(file, '');
      expect(await collect(file, 4)).toEqual([]);
    });

    it('closes the file when the reader stops early', async () => {
      fs.writeFileSync(file, 'a\nb\nc\n');
      const opened: fs.promises.FileHandle[] = [];
      const realOpen = fs.promises.open.bind(fs.promises);
      const open = jest.spyOn(fs.promises, 'open').mockImplementation(async (...args) => {
        const handle = await realOpen(...args);
        opened.push(handle);
        return handle;
      });
      try {
        for await (const line of readLines(file, 2)) if (line.number === 1) break;
      } finally {
        open.mockRestore();
      }
      expect(opened).toHaveLength(1);
      // A closed FileHandle's descriptor is -1.
      expect(opened[0]!.fd).toBe(-1);
    });
  });

  describe('readUnterminatedTail', () => {
    it('finds a tail that spans several chunks, with its byte offset', async () => {
      fs.writeFileSync(file, 'héllo\n{"cut": "€€€€"');
      const tail = await readUnterminatedTail(file, 3);
      expect(tail).toEqual({ text: '{"cut": "€€€€"', offset: Buffer.byteLength('héllo\n') });
    });

    it('finds a file that is one unterminated line', async () => {
      fs.writeFileSync(file, 'abcdefgh');
      expect(await readUnterminatedTail(file, 3)).toEqual({ text: 'abcdefgh', offset: 0 });
    });

    it('finds nothing in a file that ends on a newline, an empty or a missing file', async () => {
      expect(await readUnterminatedTail(file, 3)).toBeUndefined();
      fs.writeFileSync(file, '');
      expect(await readUnterminatedTail(file, 3)).toBeUndefined();
      fs.writeFileSync(file, 'a\nb\n');
      expect(await readUnterminatedTail(file, 3)).toBeUndefined();
    });
  });

  describe('LineWriter', () => {
    it('writes every line, newline-terminated, through a small buffer', async () => {
      const writer = new LineWriter(file, 4);
      for (const line of ['one', 'twenty-two', '€']) await writer.write(line);
      await writer.close(false);
      expect(fs.readFileSync(file, 'utf8')).toBe('one\ntwenty-two\n€\n');
    });

    it('creates an empty file when closed without lines', async () => {
      await new LineWriter(file).close(true);
      expect(fs.readFileSync(file, 'utf8')).toBe('');
    });

    it('removes its file when discarded', async () => {
      const writer = new LineWriter(file, 2);
      await writer.write('abc');
      await writer.discard();
      expect(fs.existsSync(file)).toBe(false);
    });
  });
});
