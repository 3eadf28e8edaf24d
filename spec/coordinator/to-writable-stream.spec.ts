import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { toWritableStream } from '../../lib/coordinator/to-writable-stream.js';
import { gatedCoordinator, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
beforeEach(() => {
  clock = new VirtualClock();
});

const stopAll: WriteCoordinator<unknown>[] = [];
afterEach(async () => {
  await clock.run(Promise.all(stopAll.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

/** A ReadableStream of `values`, pulled one at a time. */
function readableOf<T>(values: readonly T[]): ReadableStream<T> {
  let i = 0;
  return new ReadableStream<T>(
    {
      pull(controller) {
        if (i < values.length) controller.enqueue(values[i++]!);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A running coordinator whose sink takes 1 ms a batch and records what it wrote. */
function slowCoordinator(capacity: number) {
  const written: number[] = [];
  const coordinator = new WriteCoordinator<number>({
    bus: null,
    capacity,
    batchSize: 10,
    workers: 1,
    flushIntervalMs: 1,
    scheduler: clock,
    sink: async (batch) => {
      await clock.sleep(1);
      written.push(...batch);
    },
  });
  stopAll.push(coordinator as WriteCoordinator<unknown>);
  coordinator.start();
  return { coordinator, written };
}

describe('toWritableStream', () => {
  it("is declared as the platform's WritableStream of the coordinator's item type", () => {
    const coordinator = new WriteCoordinator<number>({ bus: null, autoStart: false, sink: () => undefined });
    stopAll.push(coordinator as WriteCoordinator<unknown>);
    const stream = toWritableStream(coordinator);
    // Type-level: the chunk type is kept (tsc checks this file in `npm run typecheck`).
    const typed: WritableStream<number> = stream;
    // @ts-expect-error a stream of numbers is not a stream of strings
    const wrong: WritableStream<string> = stream;
    expect(typed).toBeInstanceOf(WritableStream);
    expect(wrong).toBe(typed);
  });

  it('takes a real pipeTo of 500 chunks through a coordinator of capacity 20, in order, and leaves it running', async () => {
    const { coordinator, written } = slowCoordinator(20);
    let mostHeld = 0;
    const sub = coordinator.depth$.subscribe((depth) => (mostHeld = Math.max(mostHeld, depth)));
    await clock.run(readableOf(range(500)).pipeTo(toWritableStream(coordinator)));
    await waitFor(() => written.length === 500, 10_000, 'every write');
    sub.unsubscribe();
    expect(written).toEqual(range(500));
    expect(mostHeld).toBeLessThanOrEqual(20);
    expect(coordinator.state).toBe('running');
    expect(coordinator.health()).toMatchObject({ submitted: 500, written: 500, rejected: 0 });
  });

  it('signals backpressure while the coordinator is full: desiredSize drops and ready waits for room', async () => {
    const { coordinator, release } = gatedCoordinator<number>(
      { scheduler: clock, capacity: 2, batchSize: 2 },
      stopAll,
    );
    const writer = toWritableStream(coordinator, { highWaterMark: 1 }).getWriter();
    await writer.write(1);
    await writer.write(2);
    expect(writer.desiredSize).toBe(1); // room for nothing in the coordinator, but nothing held yet
    const third = writer.write(3); // waits in the coordinator's line
    expect(writer.desiredSize).toBe(0);
    let ready = false;
    void writer.ready.then(() => (ready = true));
    await clock.advance(5);
    expect(ready).toBe(false);
    release(); // [1, 2] written: 3 is accepted
    await third;
    await writer.ready;
    expect(writer.desiredSize).toBe(1);
    expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 0 });
  });

  it("errors the stream with the coordinator's QueueFullError under 'reject', counting the refusal", async () => {
    const { coordinator } = gatedCoordinator<number>(
      { scheduler: clock, capacity: 2, batchSize: 2, overflow: 'reject' },
      stopAll,
    );
    await expect(readableOf([1, 2, 3, 4]).pipeTo(toWritableStream(coordinator))).rejects.toMatchObject({
      name: 'QueueFullError',
    });
    expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 1 });
  });

  it('errors the stream with CoordinatorClosedError once the coordinator is stopped', async () => {
    const { coordinator } = gatedCoordinator<number>({ scheduler: clock }, stopAll);
    await clock.run(coordinator.stop({ drain: false, timeoutMs: 10 }));
    await expect(readableOf([1]).pipeTo(toWritableStream(coordinator))).rejects.toMatchObject({
      name: 'CoordinatorClosedError',
    });
    expect(coordinator.health()).toMatchObject({ submitted: 1, rejected: 1 });
  });

  it('stops (and drains) the coordinator on close when stopCoordinator asks for it', async () => {
    const { coordinator, written } = slowCoordinator(20);
    await clock.run(
      readableOf(range(50)).pipeTo(toWritableStream(coordinator, { stopCoordinator: { timeoutMs: 5_000 } })),
    );
    expect(coordinator.state).toBe('stopped');
    expect(written).toEqual(range(50));
  });

  it('leaves the coordinator running when the stream is aborted', async () => {
    const { coordinator } = slowCoordinator(20);
    const writer = toWritableStream(coordinator).getWriter();
    await writer.write(1);
    await writer.abort(new Error('upstream gone'));
    expect(coordinator.state).toBe('running');
  });

  it('throws at call time for a bad coordinator or option', () => {
    const { coordinator } = slowCoordinator(20);
    expect(() => toWritableStream({} as never)).toThrow(/expects a WriteCoordinator/);
    expect(() => toWritableStream(coordinator, { highWaterMark: 0 })).toThrow(RangeError);
    expect(() => toWritableStream(coordinator, { stopCoordinator: 'yes' as never })).toThrow(TypeError);
  });
});
