import { OwnWriteBacks } from '../../activities/own-write-backs';

const bill = (billNo: string) => ({ acctId: 'acct', formId: 'ER_ExpReimbursement', billNo });

describe('OwnWriteBacks', () => {
  it('knows the status a write-back gave a bill, for a while, and only that status of that bill', () => {
    let now = 0;
    const own = new OwnWriteBacks({ keepMs: 60_000, now: () => now });
    own.remember(bill('FYBX1'), 'C');
    expect(own.gave(bill('FYBX1'), 'C')).toBe(true);
    expect(own.gave(bill('FYBX2'), 'C')).toBe(false); // audited by someone else
    expect(own.gave({ ...bill('FYBX1'), formId: 'AP_PAYBILL' }, 'C')).toBe(false);
    now = 60_001;
    expect(own.gave(bill('FYBX1'), 'C')).toBe(false);
  });

  it('forgets a bill seen at another status since, or in a new round', () => {
    const own = new OwnWriteBacks();
    own.remember(bill('FYBX1'), 'C');
    expect(own.gave(bill('FYBX1'), 'D')).toBe(false); // un-audited since
    expect(own.gave(bill('FYBX1'), 'C')).toBe(false); // … and audited again: not by us
    own.remember(bill('FYBX2'), 'C');
    own.forget(bill('FYBX2')); // resubmitted, a new approval planned
    expect(own.gave(bill('FYBX2'), 'C')).toBe(false);
  });

  it('keeps at most `max` bills, the newest', () => {
    const own = new OwnWriteBacks({ max: 2 });
    for (const billNo of ['FYBX1', 'FYBX2', 'FYBX3']) own.remember(bill(billNo), 'C');
    expect(['FYBX1', 'FYBX2', 'FYBX3'].map((billNo) => own.gave(bill(billNo), 'C'))).toEqual([false, true, true]);
  });
});
