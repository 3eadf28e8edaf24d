import { errorTypeOf } from '../../lib/metrics/error-type.js';

describe('errorTypeOf', () => {
  it("uses an error's own name", () => {
    class ConnectionResetError extends Error {
      override name = 'ConnectionResetError';
    }
    expect(errorTypeOf(new ConnectionResetError('x'))).toBe('ConnectionResetError');
    expect(errorTypeOf(new TypeError('x'))).toBe('TypeError');
  });

  it("falls back to the constructor's name when the name is the generic 'Error'", () => {
    class PoolExhausted extends Error {}
    expect(errorTypeOf(new PoolExhausted('x'))).toBe('PoolExhausted');
    expect(errorTypeOf(new Error('x'))).toBe('Error');
  });

  it('names thrown non-errors by their type', () => {
    expect(errorTypeOf('boom')).toBe('string');
    expect(errorTypeOf(undefined)).toBe('undefined');
    expect(errorTypeOf(null)).toBe('null');
    expect(errorTypeOf({ code: 'E' })).toBe('Error');
    expect(errorTypeOf({ name: 'PgError' })).toBe('PgError');
  });

  it('cuts names longer than 64 characters', () => {
    expect(errorTypeOf({ name: 'E'.repeat(100) })).toBe('E'.repeat(64));
  });
});
