import { combineLatest, distinctUntilChanged, map, of, startWith, type Observable } from 'rxjs';
import { maxLevel, type BackpressureLevel } from '../levels/backpressure-level.js';
import { assertObservable, checkLevel } from './level-input.js';

/**
 * The worst of several backpressure levels, for a producer that feeds several coordinators: each
 * input counts as `'ok'` until it emits; emits `'ok'` on subscribe, then the worst latest level
 * whenever it changes.
 *
 * Errors when any input errors (or emits something that is not a level, with a `TypeError`);
 * completes when all inputs have completed (a completed input keeps its last level). With no
 * inputs it emits `'ok'` and completes. Memory: one level per input.
 *
 * @param levels$ The levels to combine.
 * @throws TypeError at call time when an argument is not an Observable.
 * @example
 * ```ts
 * const level$ = worstLevel(bars.level$, quotes.level$);
 * marketData$.pipe(pauseWhile(level$.pipe(map((l) => l === 'hard')))).subscribe(route);
 * ```
 */
export function worstLevel(...levels$: Observable<BackpressureLevel>[]): Observable<BackpressureLevel> {
  levels$.forEach((level$, index) => assertObservable(`levels$[${index}]`, level$));
  if (levels$.length === 0) return of<BackpressureLevel>('ok');
  return combineLatest(
    levels$.map((level$, index) =>
      level$.pipe(
        map((level) => checkLevel(`levels$[${index}]`, level)),
        startWith<BackpressureLevel>('ok'),
      ),
    ),
  ).pipe(
    map((levels) => maxLevel(...levels)),
    distinctUntilChanged(),
  );
}
