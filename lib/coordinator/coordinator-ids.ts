import { DuplicateCoordinatorIdError } from '../errors/duplicate-coordinator-id-error.js';

/** Ids in use on one bus: `live` by started coordinators, `reserved` by unnamed ones not stopped. */
interface BusIds {
  readonly live: Set<string>;
  readonly reserved: Set<string>;
}

// On a global registry symbol, like the default bus, so that the ESM and the CommonJS copy of the
// library loaded in one process see the same ids.
const REGISTRY = Symbol.for('rxjs-backpressure.coordinator-ids');
/** Stands for "no bus" (`bus: null`): ids are still unique in the process. */
const NO_BUS = Symbol.for('rxjs-backpressure.coordinator-ids.no-bus');

function idsOn(bus: object | null): BusIds {
  const global = globalThis as unknown as Record<symbol, WeakMap<object, BusIds> | undefined>;
  const registry = (global[REGISTRY] ??= new WeakMap<object, BusIds>());
  const key = bus ?? ((global as Record<symbol, unknown>)[NO_BUS] ??= {});
  let ids = registry.get(key);
  if (ids === undefined) {
    ids = { live: new Set(), reserved: new Set() };
    registry.set(key, ids);
  }
  return ids;
}

/**
 * @internal The id for a coordinator created without one: `'default'`, or `'default-2'`,
 * `'default-3'`, ... when that is taken on the bus. Reserved until {@link releaseCoordinatorId}.
 *
 * @example
 * ```ts
 * const id = reserveDefaultId(bus); // 'default'
 * ```
 */
export function reserveDefaultId(bus: object | null): string {
  const ids = idsOn(bus);
  let id = 'default';
  for (let n = 2; ids.live.has(id) || ids.reserved.has(id); n++) id = `default-${n}`;
  ids.reserved.add(id);
  return id;
}

/**
 * @internal Marks `id` live on `bus` (at start).
 *
 * @throws DuplicateCoordinatorIdError when a live coordinator on that bus has it.
 * @example
 * ```ts
 * claimCoordinatorId(bus, 'rows');
 * ```
 */
export function claimCoordinatorId(bus: object, id: string): void {
  const ids = idsOn(bus);
  if (ids.live.has(id)) throw new DuplicateCoordinatorIdError(id);
  ids.live.add(id);
}

/**
 * @internal Frees `id` on `bus` (at stop), live or reserved.
 *
 * @example
 * ```ts
 * releaseCoordinatorId(bus, 'rows', true, false);
 * ```
 */
export function releaseCoordinatorId(bus: object | null, id: string, live: boolean, reserved: boolean): void {
  const ids = idsOn(bus);
  if (live) ids.live.delete(id);
  if (reserved) ids.reserved.delete(id);
}
