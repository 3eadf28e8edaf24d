import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseXmlElements } from '../support/xml-well-formed';

// The demo against its real store: better-sqlite3 on a database file in a temporary folder. `npm
// test` builds before jest, so the demo runs against dist/ as it does for a user.
const root = resolve(__dirname, '../..');
const demo = resolve(root, 'examples/demo.mjs');

interface SqliteDatabase {
  prepare(sql: string): { get(): unknown };
  close(): void;
}
const Database = createRequire(__filename)('better-sqlite3') as new (
  path: string,
  options: { readonly: boolean },
) => SqliteDatabase;

interface DemoSummary {
  paced: boolean;
  produced: number;
  written: number;
  rowsInDatabase: number;
  refused: number;
  deadLettered: number;
  peakDepth: number;
  capacity: number;
  timeInLevelMs: Record<'ok' | 'soft' | 'hard', number>;
  drained: boolean;
  db: string;
  svg: string;
}

interface DemoRun {
  status: number | null;
  stdout: string;
  stderr: string;
  summary: DemoSummary;
  rowsCounted: number;
  svg: string;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function runDemo(args: string[]): Promise<DemoRun> {
  const out = mkdtempSync(join(tmpdir(), 'rxjs-backpressure-demo-'));
  dirs.push(out);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [demo, ...args, '--out', out, '--db', join(out, 'bars.db')], {
      env: { ...process.env, CI: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      try {
        const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as DemoSummary;
        const db = new Database(summary.db, { readonly: true });
        const { n } = db.prepare('SELECT COUNT(*) AS n FROM bars').get() as { n: number };
        db.close();
        resolveRun({
          status,
          stdout,
          stderr,
          summary,
          rowsCounted: n,
          svg: readFileSync(summary.svg, 'utf8'),
        });
      } catch (error) {
        reject(new Error(`demo ${args.join(' ')} exited ${status}: ${stderr}\n${stdout}`, { cause: error }));
      }
    });
  });
}

describe('the demo (examples/demo.mjs)', () => {
  // Both runs at once: each takes its duration plus the drain, and they share nothing but the CPU.
  let paced: DemoRun;
  let unpaced: DemoRun;
  beforeAll(async () => {
    [paced, unpaced] = await Promise.all([
      runDemo(['--duration', '2']),
      runDemo(['--duration', '3', '--no-pacing', '--rate', '8000']),
    ]);
  }, 90_000);

  describe('paced', () => {
    it('writes into SQLite exactly the rows the summary says, and refuses none', () => {
      expect(paced.stderr).toBe('');
      expect(paced.status).toBe(0);
      expect(paced.summary.paced).toBe(true);
      expect(paced.summary.written).toBeGreaterThan(0);
      expect(paced.rowsCounted).toBe(paced.summary.written);
      expect(paced.summary.rowsInDatabase).toBe(paced.summary.written);
      expect(paced.summary.refused).toBe(0);
      expect(paced.summary.produced).toBe(paced.summary.written + paced.summary.deadLettered);
      expect(paced.summary.drained).toBe(true);
    });

    it('prints the summary with the count from the database', () => {
      expect(paced.stdout).toContain(`rows in the database  ${paced.rowsCounted.toLocaleString('en-US')}`);
      expect(paced.stdout).toMatch(/refused {15}0\n/);
      expect(paced.stdout).toMatch(/time in each level {4}ok [\d.]+ s, soft [\d.]+ s, hard [\d.]+ s/);
    });

    it('prints a plain line a second when stdout is not a terminal', () => {
      const progress = paced.stdout.split('\n').filter((line) => /^\s*[\d.]+ s {2}(ok|soft|hard)/.test(line));
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(paced.stdout).not.toContain('\x1b[');
    });
  });

  describe('unpaced (--no-pacing)', () => {
    it('refuses bars once the coordinator is full, and still writes what it accepted', () => {
      expect(unpaced.stderr).toBe('');
      expect(unpaced.status).toBe(0);
      expect(unpaced.summary.paced).toBe(false);
      expect(unpaced.summary.refused).toBeGreaterThan(0);
      expect(unpaced.rowsCounted).toBe(unpaced.summary.written);
      expect(unpaced.summary.produced).toBe(
        unpaced.summary.written + unpaced.summary.deadLettered + unpaced.summary.refused,
      );
      expect(unpaced.summary.peakDepth).toBe(unpaced.summary.capacity);
      expect(unpaced.stdout).toContain('<- bars lost to a full coordinator');
    });
  });

  describe('the chart', () => {
    it('is well-formed SVG with the depth, the two rates, the level strip and the watermark bands', () => {
      for (const run of [paced, unpaced]) {
        const elements = parseXmlElements(run.svg);
        const ids = new Set(elements.map((element) => element.attributes.id).filter(Boolean));
        for (const id of [
          'series-depth',
          'series-producer-rate',
          'series-store-rate',
          'series-level',
          'band-ok',
          'band-soft',
          'band-hard',
        ]) {
          expect(ids).toContain(id);
        }
        const depth = elements.find((element) => element.attributes.id === 'series-depth')!;
        // One point per sample, at least one sample a second over the run.
        expect(depth.attributes.d!.split(/[ML]/).filter(Boolean).length).toBeGreaterThanOrEqual(10);
        expect(run.svg).toContain('time since start (seconds)');
        expect(run.svg).toContain('rows per second');
      }
    });
  });
});

describe('demo flags', () => {
  const runSync = (...args: string[]) => spawnSync(process.execPath, [demo, ...args], { encoding: 'utf8' });

  it('--help prints the flags and exits 0', () => {
    const run = runSync('--help');
    expect(run.status).toBe(0);
    for (const flag of ['--duration', '--rate', '--no-pacing', '--fail-rate', '--db', '--help']) {
      expect(run.stdout).toContain(flag);
    }
  });

  it.each([
    [['--rate', 'fast'], '--rate must be an integer from 1 to 1000000, found "fast"'],
    [['--duration', '0'], '--duration must be a number from 0.5 to 3600, found "0"'],
    [['--fail-rate', '1.5'], '--fail-rate must be a number from 0 to 0.95, found "1.5"'],
    [['--speed', '3'], "Unknown option '--speed'"],
  ])('%j exits 2 with a message naming the flag', (args, message) => {
    const run = runSync(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`demo: ${message}`);
    expect(run.stdout).toBe('');
  });
});
