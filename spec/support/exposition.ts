/**
 * An exposition reduced to what a dashboard sees: HELP / TYPE lines and series lines with their
 * labels sorted, blank and UNIT lines dropped, all sorted. Two expositions with the same names,
 * help, types, labels and values reduce to the same list, whatever the order they print them in.
 */
export function normalizeExposition(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('# UNIT '))
    .map((line) => {
      if (line.startsWith('#')) return line;
      const match = /^([^{\s]+)(?:\{(.*)\})? (.+)$/.exec(line);
      if (match === null) throw new Error(`not an exposition line: ${line}`);
      const [, name, labels = '', value] = match;
      const sorted =
        labels === '' ? [] : (labels.match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []).sort();
      return `${name}${sorted.length > 0 ? `{${sorted.join(',')}}` : ''} ${value}`;
    })
    .sort();
}
