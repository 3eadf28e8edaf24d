/** Describes a value for an error message: its type and, for primitives, the value itself. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return typeof value;
}
