// A WriteCoordinator writing into PostgreSQL with `pg`: one multi-row INSERT a batch, in a
// transaction, idempotent on the primary key (delivery is at least once). The producer is paced
// by the coordinator's level with pauseWhile. Run after `npm run build`:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node examples/postgres.mjs
// It creates a table with a random name and drops it at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { lastValueFrom, map, range } from 'rxjs';
import { WriteCoordinator, pauseWhile, submitTo } from '../dist/esm/index.js';

const connectionString = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const table = `readings_${randomBytes(6).toString('hex')}`;
const pool = new pg.Pool({ connectionString, max: 4 });
await pool.query(
  `CREATE TABLE ${table} (id integer PRIMARY KEY, sensor text NOT NULL, value double precision NOT NULL)`,
);

// One statement a batch: INSERT ... VALUES ($1, $2, $3), ($4, $5, $6), ... ON CONFLICT DO NOTHING.
async function insertBatch(rows, { signal }) {
  const values = rows.flatMap((row) => [row.id, row.sensor, row.value]);
  const tuples = rows.map((_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3})`).join(', ');
  const client = await pool.connect();
  try {
    signal.throwIfAborted();
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO ${table} (id, sensor, value) VALUES ${tuples} ON CONFLICT (id) DO NOTHING`,
      values,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const coordinator = new WriteCoordinator({
  id: 'postgres-readings',
  sink: insertBatch,
  capacity: 2_000,
  workers: 4,
  batchSize: 250,
  overflow: 'reject', // refusals would show; pacing keeps them at zero
  bus: null,
});

let refused = 0;
try {
  const hard$ = coordinator.level$.pipe(map((level) => level === 'hard'));
  await lastValueFrom(
    range(0, 8_000).pipe(
      map((id) => ({ id, sensor: `sensor-${id % 8}`, value: Math.sin(id / 100) })),
      pauseWhile(hard$),
      submitTo(coordinator, { onRefused: () => refused++ }),
    ),
    { defaultValue: undefined },
  );
  const report = await coordinator.stop({ drain: true });
  const { rows } = await pool.query(`SELECT COUNT(*)::int AS n FROM ${table}`);
  console.log(
    `written ${report.written}, rows in ${table.replace(/_[0-9a-f]+$/, '_*')} ${rows[0].n}, refused ${refused}`,
  );
  if (rows[0].n !== report.written || refused !== 0 || !report.drained) process.exitCode = 1;
} finally {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
}
