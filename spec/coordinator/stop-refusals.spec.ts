import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { Deque } from '../../lib/internal/deque.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { expectBalanced } from './helpers.js';

// Refusing the submits still waiting at stop must cost O(1) each, so that 100 000 of them do not eat
// stop's deadline. Counted, not timed: one error object for all of them (building an error captures
// a stack), and one visit of the waiting line per waiter (no scan or compaction per refusal).
// Time it in bench/ if anywhere.

describe('stop with 100 000 blocked submits', () => {
  afterEach(() => jest.restoreAllMocks());

  // CPU-bound: 100 000 promises take seconds on a loaded machine, hence more than the default timeout.
  it('refuses every waiter with one shared error, visiting each once, within a 50 ms stop', async () => {
    const clock = new VirtualClock();
    const coordinator = new WriteCoordinator<number>({
      sink: () => new Promise<void>(() => undefined),
      capacity: 1,
      workers: 1,
      bus: null,
      scheduler: clock,
    });
    const waiters = 100_000;
    // One caller's signal shared by every wait: each refusal also stops listening on it.
    const controller = new AbortController();
    await coordinator.submit(-1);
    const refusals: Promise<unknown>[] = new Array<Promise<unknown>>(waiters);
    for (let i = 0; i < waiters; i++) {
      refusals[i] = coordinator.submit(i, { signal: controller.signal }).catch((e: unknown) => e);
    }
    expect(coordinator.health().submitted).toBe(1);

    const shift = jest.spyOn(Deque.prototype, 'shift');
    const retain = jest.spyOn(Deque.prototype, 'retain');
    const stopping = coordinator.stop({ timeoutMs: 50 });
    // Every waiter was refused synchronously inside stop: counted before any time passed.
    expect(coordinator.health()).toMatchObject({ submitted: waiters + 1, rejected: waiters });
    expect(shift.mock.calls.length).toBeLessThanOrEqual(waiters + 1);
    expect(retain).not.toHaveBeenCalled();
    shift.mockRestore();

    const errors = await Promise.all(refusals);
    expect(errors.every(isCoordinatorClosedError)).toBe(true);
    expect(new Set(errors).size).toBe(1);
    await clock.advance(50);
    expect(await stopping).toMatchObject({ drained: false, deadLetteredDuringStop: 1, durationMs: 50 });
    expectBalanced(coordinator);
  }, 60_000);
});
