/**
 * Tells whether `value` is an object whose `brand` property is `true`: the check behind every error
 * guard, which holds across duplicated copies of the library where `instanceof` does not.
 */
export function hasBrand(value: unknown, brand: string): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[brand] === true;
}
