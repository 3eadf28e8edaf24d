// The producer: OHLCV bars for a handful of symbols, at `rate` bars a second with bursts of three
// times that. Paced, it ticks with `pacedInterval` (no ticks while the coordinator is `hard`) and
// guards each tick's bars with `pauseWhile` (a tick that crosses the watermark holds the rest);
// unpaced, it ticks with a plain `interval` whatever the store does.
import { interval, map, mergeMap, range, takeUntil, timer } from 'rxjs';
import { pacedInterval, pauseWhile } from '../../dist/esm/index.js';

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'SPY'];
const TICK_MS = 10;
const BURST_EVERY_MS = 2500;
const BURST_MS = 400;

/** The producer's rate multiplier at `ms` into the run: 3 during a burst, else 1. */
export const burstFactor = (ms) => (ms % BURST_EVERY_MS < BURST_MS ? 3 : 1);

function barFactory(random) {
  const price = new Map(SYMBOLS.map((symbol, i) => [symbol, 50 + 40 * i]));
  let seq = 0;
  return (ts) => {
    const symbol = SYMBOLS[seq % SYMBOLS.length];
    const open = price.get(symbol);
    const close = Math.max(1, open * (1 + (random() - 0.5) * 0.004));
    price.set(symbol, close);
    const spread = open * random() * 0.002;
    const bar = {
      seq: seq++,
      symbol,
      ts,
      open,
      high: Math.max(open, close) + spread,
      low: Math.min(open, close) - spread,
      close,
      volume: Math.round(100 + random() * 10_000),
    };
    return bar;
  };
}

/**
 * Bars for `durationMs` of wall time. Each tick emits the bars due since the previous one (at most
 * 50 ms worth, so a late timer or the end of a pause does not release a flood).
 */
export function barProducer({ rate, durationMs, level$ = null, random = Math.random }) {
  const nextBar = barFactory(random);
  const started = performance.now();
  let last = started;
  let carry = 0;
  const ticks$ = level$
    ? pacedInterval(level$, { ok: TICK_MS, soft: TICK_MS, hard: 'pause' })
    : interval(TICK_MS);
  const bars$ = ticks$.pipe(
    mergeMap(() => {
      const now = performance.now();
      const due = (rate * burstFactor(now - started) * Math.min(now - last, 50)) / 1000 + carry;
      last = now;
      const count = Math.floor(due);
      carry = due - count;
      const ts = Date.now();
      return range(0, count).pipe(map(() => nextBar(ts)));
    }),
    takeUntil(timer(durationMs)),
  );
  return level$ ? bars$.pipe(pauseWhile(level$.pipe(map((level) => level === 'hard')))) : bars$;
}
