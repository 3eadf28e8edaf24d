// The store: OHLCV bars in SQLite (better-sqlite3, WAL journal), one transaction per batch.
// SQLite on a local disk takes far more than a market feed sends, so the store sleeps to stand in
// for a loaded database: it takes `rowsPerSecond` rows a second in all, shared by the workers.
// With `failRate` a write fails with a transient SQLITE_BUSY before touching the table, which the
// coordinator retries; the table's primary key makes a repeated batch harmless anyway.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function openSqliteBarStore(path, { rowsPerSecond, workers, failRate, random = Math.random }) {
  mkdirSync(dirname(path), { recursive: true });
  for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE bars (
    seq INTEGER PRIMARY KEY, symbol TEXT NOT NULL, ts INTEGER NOT NULL,
    open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume INTEGER NOT NULL)`);
  const insert = db.prepare(
    'INSERT OR REPLACE INTO bars VALUES (@seq, @symbol, @ts, @open, @high, @low, @close, @volume)',
  );
  const insertAll = db.transaction((batch) => {
    for (const bar of batch) insert.run(bar);
  });

  return {
    /** The coordinator's sink: honours the abort signal until the rows are committed. */
    async write(batch, { signal }) {
      await sleep(((batch.length * workers) / rowsPerSecond) * 1000, signal);
      if (random() < failRate) {
        const busy = new Error('SQLITE_BUSY: database is busy (simulated by --fail-rate)');
        busy.code = 'SQLITE_BUSY';
        throw busy;
      }
      signal.throwIfAborted();
      insertAll(batch);
    },
    countRows: () => db.prepare('SELECT COUNT(*) AS n FROM bars').get().n,
    close: () => db.close(),
  };
}
