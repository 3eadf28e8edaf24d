import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { toNodeWritable } from '../../lib/node/to-node-writable.js';
import { gatedCoordinator, range } from '../coordinator/helpers.js';
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

describe('toNodeWritable', () => {
  it('takes a real pipeline of 500 objects through a coordinator of capacity 20, in order, and leaves it running', async () => {
    const { coordinator, written } = slowCoordinator(20);
    let mostHeld = 0;
    const sub = coordinator.depth$.subscribe((depth) => (mostHeld = Math.max(mostHeld, depth)));
    await clock.run(pipeline(Readable.from(range(500)), toNodeWritable(coordinator)));
    await waitFor(() => written.length === 500, 10_000, 'every write');
    sub.unsubscribe();
    expect(written).toEqual(range(500));
    expect(mostHeld).toBeLessThanOrEqual(20);
    expect(coordinator.state).toBe('running');
    expect(coordinator.health()).toMatchObject({ submitted: 500, written: 500, rejected: 0 });
  });

  it("returns false from write() when the coordinator is full and emits 'drain' once it has room", async () => {
    const { coordinator, release } = gatedCoordinator<number>(
      { scheduler: clock, capacity: 2, batchSize: 2 },
      stopAll,
    );
    const writable = toNodeWritable(coordinator);
    expect(writable.write(1)).toBe(true);
    expect(writable.write(2)).toBe(true);
    expect(writable.write(3)).toBe(false); // full: 3 waits in the coordinator's line
    let drained = 0;
    writable.on('drain', () => drained++);
    await clock.advance(5);
    expect(drained).toBe(0);
    release(); // [1, 2] written: 3 is accepted
    await waitFor(() => drained === 1, 2_000, "'drain'");
    expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 0 });
    await clock.advance(5);
    expect(drained).toBe(1);
  });

  it("works with the idiomatic loop: if (!w.write(x)) await once(w, 'drain')", async () => {
    const { coordinator, written } = slowCoordinator(10);
    const writable = toNodeWritable(coordinator);
    let falses = 0;
    for (const i of range(200)) {
      if (!writable.write(i)) {
        falses++;
        await clock.run(once(writable, 'drain'));
      }
    }
    writable.end();
    await clock.run(once(writable, 'finish'));
    await waitFor(() => written.length === 200, 10_000, 'every write');
    expect(written).toEqual(range(200));
    expect(falses).toBeGreaterThan(0);
  });

  it("rejects the pipeline with the coordinator's QueueFullError under 'reject', counting the refusal", async () => {
    const { coordinator } = gatedCoordinator<number>(
      { scheduler: clock, capacity: 2, batchSize: 2, overflow: 'reject' },
      stopAll,
    );
    await expect(pipeline(Readable.from([1, 2, 3, 4]), toNodeWritable(coordinator))).rejects.toMatchObject({
      name: 'QueueFullError',
    });
    expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 1 });
  });

  it('rejects the pipeline with CoordinatorClosedError once the coordinator is stopped', async () => {
    const { coordinator } = gatedCoordinator<number>({ scheduler: clock }, stopAll);
    await clock.run(coordinator.stop({ drain: false, timeoutMs: 10 }));
    await expect(pipeline(Readable.from([1]), toNodeWritable(coordinator))).rejects.toMatchObject({
      name: 'CoordinatorClosedError',
    });
    expect(coordinator.health()).toMatchObject({ submitted: 1, rejected: 1 });
  });

  it('stops (and drains) the coordinator at the end when stopCoordinator asks for it', async () => {
    const { coordinator, written } = slowCoordinator(20);
    await clock.run(
      pipeline(Readable.from(range(50)), toNodeWritable(coordinator, { stopCoordinator: true })),
    );
    expect(coordinator.state).toBe('stopped');
    expect(written).toEqual(range(50));
  });

  it('leaves the coordinator running when the stream is destroyed', async () => {
    const { coordinator } = slowCoordinator(20);
    const writable = toNodeWritable(coordinator);
    writable.write(1);
    writable.destroy();
    await clock.run(once(writable, 'close'));
    expect(coordinator.state).toBe('running');
  });

  it('throws at call time for a bad coordinator or option', () => {
    const { coordinator } = slowCoordinator(20);
    expect(() => toNodeWritable({} as never)).toThrow(/expects a WriteCoordinator/);
    expect(() => toNodeWritable(coordinator, { highWaterMark: 1.5 })).toThrow(RangeError);
    expect(() => toNodeWritable(coordinator, null as never)).toThrow(/options must be an object/);
  });
});
