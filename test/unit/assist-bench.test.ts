/**
 * The reimbursement assistant against its test set (test/fixtures/assist/messages.json, scored as
 * `npm run bench:assist` does): at least 150 messages, and at least 95 % of them read entirely right (every expense
 * found, every field right or rightly asked about), so a regression fails here.
 */
import { FIELDS, loadFixture, scoreFixture } from '../../scripts/bench-assist';

const fixture = loadFixture();
const score = scoreFixture(fixture);

it('has a test set of at least 150 messages, each with what it must become', () => {
  expect(fixture.messages.length).toBeGreaterThanOrEqual(150);
  for (const message of fixture.messages) expect(message.expenses.length).toBeGreaterThanOrEqual(1);
  expect(new Set(fixture.messages.map((m) => m.id)).size).toBe(fixture.messages.length);
});

it('reads at least 95 % of the messages entirely right', () => {
  const accuracy = score.messagesRight / score.messages;
  if (accuracy < 0.95) console.log(score.misses);
  expect(accuracy).toBeGreaterThanOrEqual(0.95);
});

it.each(FIELDS)('gets at least 95 %% of the %s fields right', (field) => {
  const { right, total } = score.fields[field];
  expect(right / total).toBeGreaterThanOrEqual(0.95);
});
