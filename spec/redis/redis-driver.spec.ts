import { ioRedisDriver } from '../../lib/redis/redis-driver.js';
import { isFeedbackTransportError } from '../../lib/errors/feedback-transport-error.js';
import type { IoRedisClient } from '../../lib/redis/redis-client-like.js';

/** An ioredis client whose transactions all end with `exec()` resolving to `replies`. */
function clientWhoseExecGives(replies: Array<[Error | null, unknown]> | null): IoRedisClient {
  const transaction = {
    hset: () => transaction,
    publish: () => transaction,
    exec: async () => replies,
  };
  return { multi: () => transaction } as unknown as IoRedisClient;
}

describe('ioRedisDriver', () => {
  it('resolves when every command of the transaction succeeded', async () => {
    const driver = ioRedisDriver(
      clientWhoseExecGives([
        [null, 1],
        [null, 0],
      ]),
      undefined,
    );
    await expect(driver.setAndPublish('k', 'f', 'c', 'v')).resolves.toBeUndefined();
  });

  it('rejects with a FeedbackTransportError when EXEC was aborted', async () => {
    const driver = ioRedisDriver(clientWhoseExecGives(null), undefined);
    const error = await driver.setAndPublish('k', 'f', 'c', 'v').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFeedbackTransportError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Feedback transport publish failed: expected EXEC to run the MULTI of HSET and PUBLISH, found it aborted (a WATCHed key changed)',
    );
  });

  it("rejects with a command's own error", async () => {
    const failure = new Error('WRONGTYPE');
    const driver = ioRedisDriver(
      clientWhoseExecGives([
        [null, 1],
        [failure, null],
      ]),
      undefined,
    );
    await expect(driver.setAndPublish('k', 'f', 'c', 'v')).rejects.toBe(failure);
  });
});
