import fc from 'fast-check';
import { HttpFeedbackBroadcaster } from '../../lib/webhook/http-feedback-broadcaster.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';

type Command =
  | { readonly kind: 'publish'; readonly coordinator: number }
  | { readonly kind: 'answer'; readonly index: number; readonly status: number };

interface OpenRequest {
  readonly coordinatorId: string;
  readonly resolve: (response: Response) => void;
}

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('publish' as const), coordinator: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    kind: fc.constant('answer' as const),
    index: fc.nat({ max: 5 }),
    status: fc.constantFrom(204, 204, 503, 400),
  }),
);

/** Lets promise callbacks and zero-delay timers (backoffMs: 0) run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('HttpFeedbackBroadcaster coalescing (fast-check)', () => {
  it('keeps one request per coordinator, accounts for every event, and ends on the last one published', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const open: OpenRequest[] = [];
        let maxOpenPerCoordinator = 0;
        const fetchDouble = (_input: unknown, init?: RequestInit): Promise<Response> => {
          const { coordinator_id: coordinatorId } = JSON.parse(init!.body as string) as {
            coordinator_id: string;
          };
          return new Promise<Response>((resolve) => {
            open.push({ coordinatorId, resolve });
            const sameCoordinator = open.filter((r) => r.coordinatorId === coordinatorId).length;
            maxOpenPerCoordinator = Math.max(maxOpenPerCoordinator, sameCoordinator);
          });
        };
        const answer = (index: number, status: number): void => {
          const [request] = open.splice(index, 1);
          request?.resolve(new Response(null, { status }));
        };

        const bus = new FeedbackBus();
        const broadcaster = new HttpFeedbackBroadcaster({
          url: 'http://127.0.0.1:9/feedback',
          backoffMs: 0,
          maxRetries: 2,
          fetch: fetchDouble,
        }).start(bus);
        const outcomes = new Map<string, FeedbackEvent>();
        let delivered = 0;
        let failed = 0;
        broadcaster.delivered$.subscribe(({ event }) => {
          delivered++;
          outcomes.set(event.coordinatorId, event);
        });
        broadcaster.failed$.subscribe(({ event, superseded }) => {
          failed++;
          if (!superseded) outcomes.set(event.coordinatorId, event);
        });

        const lastPublished = new Map<string, FeedbackEvent>();
        let published = 0;
        for (const step of commands) {
          if (step.kind === 'publish') {
            const coordinatorId = `c${step.coordinator}`;
            const event = createFeedbackEvent({
              coordinatorId,
              level: 'soft',
              previousLevel: 'ok',
              queueSize: published,
              capacity: 1_000,
              ts: 1_700_000_000_000 + published,
            });
            published++;
            lastPublished.set(coordinatorId, event);
            bus.publish(event);
          } else {
            answer(step.index, step.status);
          }
          await settle();
        }
        // Then the endpoint recovers: answer everything until the broadcaster is idle.
        for (let i = 0; i < 200 && (open.length > 0 || broadcaster.inFlight > 0); i++) {
          while (open.length > 0) answer(0, 204);
          await settle();
        }

        expect(broadcaster.inFlight).toBe(0);
        expect(broadcaster.pending).toBe(0);
        expect(maxOpenPerCoordinator).toBeLessThanOrEqual(1);
        // Every published event was delivered, failed (superseded or not) or coalesced: no other fate.
        expect(delivered + failed + broadcaster.coalesced).toBe(published);
        // The last outcome of each coordinator concerns the last event it published.
        for (const [coordinatorId, event] of lastPublished) {
          expect(outcomes.get(coordinatorId)).toBe(event);
        }
        broadcaster.stop();
      }),
      { numRuns: 150 },
    );
  });
});
