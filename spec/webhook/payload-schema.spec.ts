import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKPRESSURE_LEVELS } from '../../lib/levels/backpressure-level.js';
import { createFeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { fromWire, toWire } from '../../lib/feedback/wire.js';

// docs/webhook.md is the contract for receivers in other languages: keep its schema and example
// in step with the code.
const doc = readFileSync(join(__dirname, '../../docs/webhook.md'), 'utf8');
const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (m) => JSON.parse(m[1]!) as Record<string, unknown>,
);

interface Schema {
  required: string[];
  properties: Record<string, { enum?: string[] }>;
}

describe('docs/webhook.md payload schema', () => {
  const schema = jsonBlocks.find((b) => '$schema' in b) as unknown as Schema;
  const example = jsonBlocks.find((b) => !('$schema' in b))!;
  const wire = toWire(
    createFeedbackEvent({
      coordinatorId: 'orders',
      level: 'hard',
      previousLevel: 'soft',
      queueSize: 8_100,
      capacity: 10_000,
      reason: 'high_watermark',
      ts: 1_700_000_000_123,
    }),
  );

  it('describes exactly the keys toWire sends', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(wire).sort());
  });

  it('requires only keys that fromWire requires', () => {
    for (const key of Object.keys(wire)) {
      const { [key as keyof typeof wire]: _dropped, ...rest } = wire;
      const accepted = (() => {
        try {
          fromWire(rest);
          return true;
        } catch {
          return false;
        }
      })();
      expect([key, schema.required.includes(key)]).toEqual([key, !accepted]);
    }
  });

  it('lists the levels of the code', () => {
    expect(schema.properties.level!.enum).toEqual([...BACKPRESSURE_LEVELS]);
    expect(schema.properties.previous_level!.enum).toEqual([...BACKPRESSURE_LEVELS]);
  });

  it('has an example that is what toWire sends for the same event', () => {
    expect(example).toEqual(wire);
    expect(fromWire(example)).toEqual(fromWire(wire));
  });
});
