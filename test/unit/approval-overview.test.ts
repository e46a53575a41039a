/**
 * What the approval shows outside itself (workflows/approval/overview.ts), the parts that are plain functions: the
 * KingdeeAmount search attribute exact in cents.
 */
import { amountInCents } from '../../workflows/approval/overview';

describe('amountInCents', () => {
  it('rounds to whole cents, half away from zero, so the search attribute is the amount Kingdee shows', () => {
    expect(amountInCents(0.1 + 0.2)).toBe(30);
    expect(amountInCents(0.1 + 0.2) / 100).toBe(0.3);
    expect(amountInCents(1.005)).toBe(101);
    expect(amountInCents(12_800)).toBe(1_280_000);
    expect(amountInCents(-2.675)).toBe(-268);
    expect(amountInCents(-0.001)).toBe(0);
    expect(Object.is(amountInCents(-0.001), -0)).toBe(false);
  });

  it('counts an amount that is no number as 0', () => {
    expect(amountInCents(Number.NaN)).toBe(0);
    expect(amountInCents(null as unknown as number)).toBe(0); // a non-finite amount crosses JSON as null
  });
});
