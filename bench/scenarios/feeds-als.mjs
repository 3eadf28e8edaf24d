// Scenario 1b: the feeds of scenario 1, every run inside an enabled AsyncLocalStorage (as an APM
// agent installs), in a process of its own.
import { runFeeds } from './feeds.mjs';

export const id = 'feeds-als';
export const title = '1b. Feeds: the same, inside an enabled AsyncLocalStorage';

export async function run(context) {
  return runFeeds(context, { als: true });
}
