import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { expectBalanced, gatedCoordinator } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
beforeEach(() => {
  clock = new VirtualClock();
});

const stopAll: WriteCoordinator<unknown>[] = [];
const gated = <T>(options: Parameters<typeof gatedCoordinator<T>>[0] = {}) =>
  gatedCoordinator<T>({ scheduler: clock, ...options }, stopAll);
afterEach(async () => {
  await clock.run(Promise.all(stopAll.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

const settled = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await clock.advance(0);
  return state;
};

describe('WriteCoordinator.trySubmit', () => {
  it('accepts an item when there is room, counts it and writes it', async () => {
    const { coordinator, written, release } = gated<number>();
    expect(coordinator.trySubmit(1)).toBe(true);
    expect(coordinator.health()).toMatchObject({ submitted: 1, queueSize: 1 });
    release();
    await waitFor(() => written.length === 1, 2_000, 'the write');
    expect(written).toEqual([1]);
    expectBalanced(coordinator);
  });

  it("returns false when full under 'block', counting nothing; the caller keeps the item", () => {
    const { coordinator } = gated<number>();
    expect([coordinator.trySubmit(1), coordinator.trySubmit(2)]).toEqual([true, true]);
    expect(coordinator.trySubmit(3)).toBe(false);
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 0, dropped: 0 });
    expectBalanced(coordinator);
  });

  it("returns false when full under 'reject', counting nothing", () => {
    const { coordinator } = gated<number>({ overflow: 'reject' });
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    expect(coordinator.trySubmit(3)).toBe(false);
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 0 });
  });

  it("accepts under 'drop-newest' when full and reports the new item as dropped", () => {
    const { coordinator } = gated<number>({ overflow: 'drop-newest' });
    const dropped: number[] = [];
    coordinator.dropped$.subscribe(({ item }) => dropped.push(item));
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    expect(coordinator.trySubmit(3)).toBe(true);
    expect(dropped).toEqual([3]);
    expect(coordinator.health()).toMatchObject({ submitted: 3, dropped: 1 });
    expectBalanced(coordinator);
  });

  it("accepts under 'drop-oldest' when full, evicting the oldest queued item", async () => {
    // Capacity 3, batch 2: [1, 2] in flight, 3 queued; 4 evicts 3.
    const { coordinator } = gated<number>({ overflow: 'drop-oldest', capacity: 3 });
    const dropped: number[] = [];
    coordinator.dropped$.subscribe(({ item }) => dropped.push(item));
    expect([1, 2].map((i) => coordinator.trySubmit(i))).toEqual([true, true]);
    await waitFor(() => coordinator.health().inFlight === 2, 2_000, 'a batch in flight');
    expect([3, 4].map((i) => coordinator.trySubmit(i))).toEqual([true, true]);
    expect(dropped).toEqual([3]);
    expect(coordinator.health()).toMatchObject({ submitted: 4, dropped: 1, queueSize: 1, inFlight: 2 });
    expectBalanced(coordinator);
  });

  it('throws CoordinatorClosedError once stop was called', async () => {
    const { coordinator, release } = gated<number>();
    coordinator.trySubmit(1);
    const stopping = coordinator.stop();
    expect(() => coordinator.trySubmit(2)).toThrow(/is closed/);
    release();
    await clock.run(stopping);
    let thrown: unknown;
    try {
      coordinator.trySubmit(3);
    } catch (error) {
      thrown = error;
    }
    expect(isCoordinatorClosedError(thrown)).toBe(true);
    expect(coordinator.health()).toMatchObject({ submitted: 1, written: 1, rejected: 0 });
  });

  it('starts an idle coordinator, as submit does, so that its items are written without start()', async () => {
    const written: number[] = [];
    const coordinator = new WriteCoordinator<number>({
      bus: null,
      scheduler: clock,
      flushIntervalMs: 0,
      sink: (batch) => void written.push(...batch),
    });
    stopAll.push(coordinator as WriteCoordinator<unknown>);
    expect(coordinator.state).toBe('idle');
    expect(coordinator.trySubmit(1)).toBe(true);
    expect(coordinator.state).toBe('running');
    await waitFor(() => written.length === 1, 1_000, 'the write');
    expect(written).toEqual([1]);
  });

  it('with autoStart: false, accepts and holds items until start()', async () => {
    const written: number[] = [];
    const coordinator = new WriteCoordinator<number>({
      bus: null,
      scheduler: clock,
      autoStart: false,
      flushIntervalMs: 0,
      sink: (batch) => void written.push(...batch),
    });
    stopAll.push(coordinator as WriteCoordinator<unknown>);
    expect(coordinator.trySubmit(1)).toBe(true);
    await clock.advance(1_000);
    expect(coordinator.state).toBe('idle');
    expect(written).toEqual([]);
    coordinator.start();
    await waitFor(() => written.length === 1, 1_000, 'the write');
    expect(written).toEqual([1]);
  });

  it('does not overtake a submit waiting for room', async () => {
    const { coordinator, written, release } = gated<string>({ capacity: 1, batchSize: 1 });
    coordinator.trySubmit('a');
    const waiting = coordinator.submit('b');
    release(); // 'a' written: its room goes to 'b'
    await waiting;
    expect(coordinator.trySubmit('c')).toBe(false);
    release();
    await waitFor(() => written.length === 2, 2_000, 'two writes');
    expect(written).toEqual(['a', 'b']);
  });
});

describe('WriteCoordinator.ready', () => {
  it('resolves at once when trySubmit would accept', async () => {
    const { coordinator } = gated<number>();
    expect(await settled(coordinator.ready())).toBe('resolved');
  });

  it('waits while full and resolves when a batch finishes; trySubmit then accepts', async () => {
    const { coordinator, written, release } = gated<number>();
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    const ready = coordinator.ready();
    expect(await settled(ready)).toBe('pending');
    release();
    await ready;
    expect(coordinator.trySubmit(3)).toBe(true);
    release();
    await waitFor(() => written.length === 3, 2_000, 'three writes');
    expect(written).toEqual([1, 2, 3]);
    expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 0 });
  });

  it('is served in arrival order with blocked submits, and holds its room for its caller', async () => {
    const { coordinator, written, release } = gated<string>({ capacity: 1, batchSize: 1 });
    coordinator.trySubmit('a');
    const ready = coordinator.ready(); // first in line
    const blocked = coordinator.submit('b'); // second
    release(); // room for one: it goes to the ready() caller
    await ready;
    expect(coordinator.health().queueSize).toBe(0); // 'b' still waits
    expect(coordinator.trySubmit('c')).toBe(true);
    release();
    await blocked;
    release();
    await waitFor(() => written.length === 3, 2_000, 'three writes');
    expect(written).toEqual(['a', 'c', 'b']);
    expectBalanced(coordinator);
  });

  it('gives held room to the next in line when the ready() caller does not come back', async () => {
    const { coordinator, release } = gated<string>({ capacity: 1, batchSize: 1 });
    coordinator.trySubmit('a');
    const ready = coordinator.ready();
    const blocked = coordinator.submit('b');
    release();
    await ready; // ...and never calls trySubmit
    await clock.advance(5);
    expect(await settled(blocked)).toBe('resolved');
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 0 });
  });

  it('resolves at once under a drop strategy, even when full', async () => {
    const { coordinator } = gated<number>({ overflow: 'drop-newest' });
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    expect(await settled(coordinator.ready())).toBe('resolved');
  });

  it('rejects with CoordinatorClosedError after stop, and for calls waiting at stop; counts nothing', async () => {
    const { coordinator, release } = gated<number>();
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    const waiting = coordinator.ready();
    const stopping = coordinator.stop();
    await expect(waiting).rejects.toMatchObject({ name: 'CoordinatorClosedError' });
    await expect(coordinator.ready()).rejects.toMatchObject({ name: 'CoordinatorClosedError' });
    release();
    await clock.run(stopping);
    await expect(coordinator.ready()).rejects.toMatchObject({ name: 'CoordinatorClosedError' });
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 0, written: 2 });
    expectBalanced(coordinator);
  });

  it('rejects with QueueTimeoutError after timeoutMs, counting nothing', async () => {
    const { coordinator } = gated<number>();
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    await expect(clock.run(coordinator.ready({ timeoutMs: 10 }))).rejects.toMatchObject({
      name: 'QueueTimeoutError',
    });
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 0 });
  });

  it("rejects with the signal's reason on abort, and at once for an aborted signal", async () => {
    const { coordinator } = gated<number>();
    coordinator.trySubmit(1);
    coordinator.trySubmit(2);
    const controller = new AbortController();
    const waiting = coordinator.ready({ signal: controller.signal });
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(coordinator.ready({ signal: controller.signal })).rejects.toBe(reason);
    expect(coordinator.health()).toMatchObject({ submitted: 2, rejected: 0 });
  });

  it('throws at once for bad options', () => {
    const { coordinator } = gated<number>();
    expect(() => coordinator.ready({ timeoutMs: -1 })).toThrow(RangeError);
    expect(() => coordinator.ready(null as never)).toThrow(TypeError);
    expect(() => coordinator.ready({ signal: 'soon' as never })).toThrow(/signal must be an AbortSignal/);
  });
});
