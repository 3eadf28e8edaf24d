import { toErrorSummary } from '../../lib/dead-letter/dead-letter-record.js';
import { WriteTimeoutError } from '../../lib/errors/write-timeout-error.js';

describe('toErrorSummary', () => {
  it('keeps an Error name and message', () => {
    expect(toErrorSummary(new RangeError('out of range'))).toEqual({
      name: 'RangeError',
      message: 'out of range',
    });
  });

  it('keeps the name of library errors', () => {
    expect(toErrorSummary(new WriteTimeoutError(100))).toEqual({
      name: 'WriteTimeoutError',
      message: 'Write timed out: expected the sink to finish within 100 ms, found it still running.',
    });
  });

  it('keeps a custom name set on an Error', () => {
    const error = new Error('conflict');
    error.name = 'SqliteError';
    expect(toErrorSummary(error)).toEqual({ name: 'SqliteError', message: 'conflict' });
  });

  it('returns only name and message, so that the record serialises', () => {
    const error = Object.assign(new Error('reset'), { code: 'ECONNRESET', cause: new Error('inner') });
    expect(Object.keys(toErrorSummary(error)).sort()).toEqual(['message', 'name']);
  });

  it('reads error-like objects (e.g. from another realm)', () => {
    expect(toErrorSummary({ name: 'DOMException', message: 'aborted' })).toEqual({
      name: 'DOMException',
      message: 'aborted',
    });
  });

  it.each([
    ['a string', 'oops', 'oops'],
    ['a number', 42, '42'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a plain object', { code: 1 }, '[object Object]'],
  ])('names %s NonError with String(value) as message', (_label, value, message) => {
    expect(toErrorSummary(value)).toEqual({ name: 'NonError', message });
  });

  it('does not throw for values that cannot be converted to a string', () => {
    expect(toErrorSummary(Object.create(null))).toEqual({ name: 'NonError', message: '[object Object]' });
    const hostile = {
      toString() {
        throw new Error('no');
      },
    };
    expect(toErrorSummary(hostile).name).toBe('NonError');
  });
});
