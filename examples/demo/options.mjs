// Command-line flags of the demo: parsed with node:util, checked, and explained by --help.
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `Usage: npm run demo -- [flags]

A market-data producer writes OHLCV bars through a WriteCoordinator into SQLite, paced by the
coordinator's feedback. The store is capped at --store-rate rows a second to stand in for a loaded
database; the producer offers about twice that, with bursts.

Flags:
  --duration SECONDS    how long the producer runs (default 10)
  --rate BARS           bars a second the producer offers outside bursts (default 4000);
                        bursts triple it for 0.4 s every 2.5 s
  --store-rate ROWS     rows a second the store takes (default 2000)
  --no-pacing           the same run without pacing: a full coordinator refuses bars
  --fail-rate FRACTION  share of store writes that fail with a transient SQLITE_BUSY and are
                        retried (0 to 0.95, default 0.02)
  --db PATH             the SQLite database file, recreated on each run (default demo-output/bars.db)
  --out DIR             where backpressure.svg and summary.json go (default demo-output)
  --help                print this and exit`;

/** Thrown for a bad flag; the demo prints the message and exits with status 2. */
export class UsageError extends Error {
  name = 'UsageError';
}

function number(flag, raw, { min, max, fallback, integer = false }) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(value) && value >= min && value <= max;
  if (!ok || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new UsageError(`--${flag} must be ${kind} from ${min} to ${max}, found ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses argv into the demo's settings, or throws `UsageError`. Returns `null` for --help. */
export function parseDemoOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        rate: { type: 'string' },
        'store-rate': { type: 'string' },
        'no-pacing': { type: 'boolean' },
        'fail-rate': { type: 'string' },
        db: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // parseArgs explains unknown flags and missing values well; keep its words.
    throw new UsageError(error.message);
  }
  if (values.help) return null;
  const out = values.out ?? 'demo-output';
  if (values.db === '') throw new UsageError('--db must be a file path, found ""');
  return {
    durationS: number('duration', values.duration, { min: 0.5, max: 3600, fallback: 10 }),
    rate: number('rate', values.rate, { min: 1, max: 1_000_000, fallback: 4000, integer: true }),
    storeRate: number('store-rate', values['store-rate'], {
      min: 10,
      max: 1_000_000,
      fallback: 2000,
      integer: true,
    }),
    paced: !values['no-pacing'],
    failRate: number('fail-rate', values['fail-rate'], { min: 0, max: 0.95, fallback: 0.02 }),
    db: values.db ?? join(out, 'bars.db'),
    out,
  };
}
