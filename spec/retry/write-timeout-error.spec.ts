import { WriteTimeoutError, isWriteTimeoutError } from '../../lib/errors/write-timeout-error.js';
import { BackpressureError, isBackpressureError } from '../../lib/errors/backpressure-error.js';

describe('WriteTimeoutError', () => {
  it('is a retryable BackpressureError carrying its timeout', () => {
    const error = new WriteTimeoutError(250);
    expect(error).toBeInstanceOf(WriteTimeoutError);
    expect(error).toBeInstanceOf(BackpressureError);
    expect(error).toBeInstanceOf(Error);
    expect(isBackpressureError(error)).toBe(true);
    expect(error.name).toBe('WriteTimeoutError');
    expect(error.timeoutMs).toBe(250);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(
      'Write timed out: expected the sink to finish within 250 ms, found it still running.',
    );
  });

  it('is recognised by its guard, also across copies of the library', () => {
    expect(isWriteTimeoutError(new WriteTimeoutError(1))).toBe(true);
    expect(isWriteTimeoutError({ isWriteTimeoutError: true })).toBe(true);
    expect(isWriteTimeoutError(new Error('timeout'))).toBe(false);
    expect(isWriteTimeoutError(null)).toBe(false);
    expect(isWriteTimeoutError('WriteTimeoutError')).toBe(false);
  });
});
