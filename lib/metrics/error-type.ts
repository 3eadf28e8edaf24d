/** Longest `error_type` label value; longer names are cut. */
const MAX_LENGTH = 64;

/**
 * The `error_type` label of a failed write: the error's class name (its `name` when it sets one,
 * otherwise its constructor's), or the type of a thrown non-object. Class names are few, so the
 * label stays bounded where a message would not.
 */
export function errorTypeOf(error: unknown): string {
  let type: string;
  if (typeof error === 'object' && error !== null) {
    const name = (error as { name?: unknown }).name;
    const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '' && name !== 'Error') type = name;
    else if (typeof constructorName === 'string' && constructorName !== '' && constructorName !== 'Object')
      type = constructorName;
    else type = typeof name === 'string' && name !== '' ? name : 'Error';
  } else {
    type = error === null ? 'null' : typeof error;
  }
  return type.length > MAX_LENGTH ? type.slice(0, MAX_LENGTH) : type;
}
