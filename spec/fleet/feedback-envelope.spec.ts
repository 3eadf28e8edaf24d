import { parseFeedbackEnvelope } from '../../lib/fleet/feedback-envelope.js';
import { isFeedbackFormatError } from '../../lib/errors/feedback-format-error.js';
import { envelopeOf } from './fake-feedback-transport.js';

describe('parseFeedbackEnvelope', () => {
  it('returns a valid envelope as it is', () => {
    const envelope = envelopeOf(3);
    expect(parseFeedbackEnvelope(JSON.parse(JSON.stringify(envelope)))).toEqual(envelope);
  });

  it.each([
    ['a string', 'x', 'Invalid feedback event: expected a feedback envelope object, found string "x"'],
    [
      'another version',
      { ...envelopeOf(1), v: 2 },
      'Invalid feedback event: field "v" expected 1, found number 2',
    ],
    [
      'an empty origin',
      { ...envelopeOf(1), origin: '' },
      'field "origin" expected a non-empty string, found string ""',
    ],
    [
      'a fractional seq',
      { ...envelopeOf(1), seq: 1.5 },
      'field "seq" expected an integer >= 0, found number 1.5',
    ],
    [
      'a bad event',
      { ...envelopeOf(1), event: { ...envelopeOf(1).event, capacity: 0 } },
      'field "event.capacity"',
    ],
    [
      'no event',
      { ...envelopeOf(1), event: undefined },
      'field "event" expected a JSON object, found undefined',
    ],
  ])('refuses %s with a FeedbackFormatError', (_, value, message) => {
    let error: unknown;
    try {
      parseFeedbackEnvelope(value);
    } catch (thrown) {
      error = thrown;
    }
    expect(isFeedbackFormatError(error)).toBe(true);
    expect((error as Error).message).toContain(message);
  });
});
