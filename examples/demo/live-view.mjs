// The live terminal view: a few lines redrawn in place with plain ANSI escapes (cursor up, clear
// line). When stdout is not a terminal (a pipe, a CI log) it prints one plain line a second instead.
const LEVEL_COLOUR = { ok: '\x1b[32m', soft: '\x1b[33m', hard: '\x1b[31m' };
const RESET = '\x1b[0m';

function bar(fraction, width, marks = []) {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  const cells = Array.from({ length: width }, (_, i) => (i < filled ? '█' : '░'));
  for (const mark of marks) cells[Math.min(width - 1, Math.round(mark * width))] = '|';
  return cells.join('');
}

const n = (value) => Math.round(value).toLocaleString('en-US');

function lines(s, colour) {
  const paint = (text, level) => (colour ? `${LEVEL_COLOUR[level]}${text}${RESET}` : text);
  const depthBar = bar(s.depth / s.capacity, 40, [s.softMark, s.hardMark]);
  return [
    `level     ${paint(s.level.toUpperCase().padEnd(4), s.level)}  depth ${depthBar} ${n(s.depth)}/${n(s.capacity)}` +
      `  (| soft ${s.softMark * 100}%, hard ${s.hardMark * 100}%)`,
    `producer  ${n(s.producerRate).padStart(7)} bars/s    store ${n(s.storeRate).padStart(7)} rows/s`,
    `rows      written ${n(s.written)}   retried ${n(s.retried)}   dead-lettered ${n(s.deadLettered)}` +
      `   refused ${n(s.refused)}`,
    `progress  ${bar(s.elapsedS / s.durationS, 40)} ${s.elapsedS.toFixed(1)}/${s.durationS} s` +
      (s.stage === 'draining' ? '  draining' : ''),
  ];
}

export function createLiveView(stream = process.stdout) {
  const tty = Boolean(stream.isTTY);
  let drawn = 0;
  let lastPlain = -Infinity;
  return {
    /** Called often; redraws a terminal, or prints a plain line once a second. */
    update(state, force = false) {
      if (tty) {
        const text = lines(state, true);
        const up = drawn > 0 ? `\x1b[${drawn}A` : '';
        stream.write(up + text.map((line) => `\x1b[2K${line}\n`).join(''));
        drawn = text.length;
      } else if (force || state.elapsedS - lastPlain >= 1) {
        lastPlain = state.elapsedS;
        stream.write(
          `${state.elapsedS.toFixed(1).padStart(5)} s  ${state.level.padEnd(4)}  depth ${n(state.depth)}/${n(state.capacity)}` +
            `  producer ${n(state.producerRate)}/s  store ${n(state.storeRate)}/s  written ${n(state.written)}` +
            `  retried ${n(state.retried)}  dead-lettered ${n(state.deadLettered)}  refused ${n(state.refused)}\n`,
        );
      }
    },
  };
}
