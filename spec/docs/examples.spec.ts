import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// The examples are the docs that users copy: each must run against the built package (npm test
// builds before jest) and show what its comments promise.
const root = resolve(__dirname, '../..');

function runExample(name: string, env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [resolve(root, 'examples', name)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('examples', () => {
  it('coordinator.mjs balances its accounting', () => {
    const run = runExample('coordinator.mjs');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/submitted 5000 = written \d+ \+ dead-lettered \d+: true/);
  }, 60_000);

  it('closed-loop.mjs rejects nothing when paced and rejects items when not', () => {
    const run = runExample('closed-loop.mjs');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^paced {2}: written 2000, rejected 0,/m);
    expect(run.stdout).toMatch(/^unpaced: written \d+, rejected [1-9]\d*,/m);
  }, 60_000);
});
