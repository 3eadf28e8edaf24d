// Types that exist only on some platforms, written so that this package's declarations compile in
// a strict project whatever its `lib` and `types` (a browser app without @types/node, a Node
// service without DOM): each one is the platform's own type where a lib declares it, else a
// minimal stand-in.

/** The parts of an `AbortSignal` this library relies on, for a lib that declares none. */
export interface MinimalAbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The platform's `AbortSignal` (DOM, or @types/node), or {@link MinimalAbortSignal} where no lib
 * declares one, so that a sink can hand the signal on to `fetch` or a driver unchanged.
 *
 * @example
 * ```ts
 * const sink = (batch: readonly Row[], { signal }: { signal: AbortSignalLike }) => db.insert(batch, { signal });
 * ```
 */
export type AbortSignalLike = typeof globalThis extends { AbortSignal: { prototype: infer S } }
  ? S
  : MinimalAbortSignal;

/**
 * `{ [Symbol.asyncDispose](): Promise<void> }` where the lib declares `Symbol.asyncDispose`
 * (`await using` then type-checks), nothing otherwise.
 *
 * @example
 * ```ts
 * interface Closeable extends AsyncDisposableLike {}
 * ```
 */
export type AsyncDisposableLike = SymbolConstructor extends { readonly asyncDispose: infer K extends symbol }
  ? { [P in K]: () => Promise<void> }
  : object;
