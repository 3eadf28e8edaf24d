import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { Sink, SinkFunction } from '../../lib/coordinator/sink.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';

// Type-level: this file is checked by `tsc -p spec/tsconfig.json` (part of `npm test`). Each sink
// below is what a database driver or HTTP client returns as is; a sink type that wanted
// `Promise<void> | void` would refuse them at compile time, and the `@ts-expect-error` lines would
// stop compiling if the sink types accepted anything at all.

interface Row {
  readonly id: number;
}

interface QueryResult {
  readonly rowCount: number;
  readonly rows: readonly Row[];
}

const driver = {
  insert: (rows: readonly Row[], _options: { signal: unknown }): Promise<QueryResult> =>
    Promise.resolve({ rowCount: rows.length, rows }),
  insertSync: (rows: readonly Row[]): number => rows.length,
  post: (body: string): Promise<{ readonly status: number; readonly ok: boolean }> =>
    Promise.resolve({ status: body.length > 0 ? 200 : 204, ok: true }),
};

const returningAnything: SinkFunction<Row>[] = [
  (batch, { signal }) => driver.insert(batch, { signal }), // Promise<QueryResult>
  (batch) => driver.insertSync(batch), // number
  (batch) => driver.post(JSON.stringify(batch)), // Promise<Response-like>
  () => 'stored', // string
  () => null,
  () => undefined,
  () => {},
  async () => {},
];

const objectSinks: Sink<Row>[] = [
  { write: (batch, { signal }) => driver.insert(batch, { signal }) },
  { write: (batch) => driver.insertSync(batch) },
  {
    async write(batch) {
      return (await driver.insert(batch, { signal: undefined })).rowCount;
    },
  },
];

// @ts-expect-error a sink of rows is not a sink of strings
const wrongItems: SinkFunction<Row> = (batch: readonly string[]) => batch.length;
// @ts-expect-error an object sink needs a write method
const noWrite: Sink<Row> = { insert: () => 1 };
// @ts-expect-error the sink option is required
const noSink: WriteCoordinatorOptions<Row> = { capacity: 10 };

describe('sink types', () => {
  it('accept a sink that returns or resolves to any value, as options of a coordinator too', async () => {
    const coordinators = [...returningAnything, ...objectSinks].map(
      (sink) => new WriteCoordinator<Row>({ sink, bus: null, autoStart: false }),
    );
    const inline = new WriteCoordinator<Row>({
      sink: (batch, { signal }) => driver.insert(batch, { signal }),
      bus: null,
      autoStart: false,
    });
    expect(coordinators).toHaveLength(11);
    expect(inline.state).toBe('idle');
    expect([wrongItems, noWrite, noSink]).toHaveLength(3);
    const reports = await Promise.all([...coordinators, inline].map((c) => c.stop()));
    expect(reports.every((r) => r.drained)).toBe(true);
  });
});
