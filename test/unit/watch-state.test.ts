/**
 * Threshold watches, pure: a row's verdict against its condition, and the memory that alerts once per crossing —
 * again only after the row recovered and crossed again; several rows crossing together in one message.
 */
import {
  advanceWatch,
  evaluateRow,
  rowKey,
  type CrossedRow,
  type WatchCheck,
  type WatchCondition,
  type WatchMemory,
} from '../../domain/watch-state';
import { watchAlertNotice, watchRowLine } from '../../domain/texts/push-notices';

const belowSafety: WatchCondition = { field: 'FBaseQty', below: { field: 'FMaterialId.FSafeStock' } };

describe('evaluateRow', () => {
  it('compares with another field of the row or a number, below and above', () => {
    expect(evaluateRow(belowSafety, { FBaseQty: 3, 'FMaterialId.FSafeStock': 5 })).toEqual({
      state: 'crossed',
      value: 3,
      threshold: 5,
      direction: 'below',
    });
    expect(evaluateRow(belowSafety, { fbaseqty: '5', 'fmaterialid.fsafestock': 5 })).toEqual({ state: 'ok', value: 5 });
    expect(evaluateRow({ field: 'FBaseQty', above: { value: 100 } }, { FBaseQty: 101 })).toMatchObject({
      state: 'crossed',
      direction: 'above',
    });
  });

  it('cannot say anything about a row whose value or threshold is not a number', () => {
    expect(evaluateRow(belowSafety, { FBaseQty: '', 'FMaterialId.FSafeStock': 5 })).toEqual({ state: 'unknown' });
    expect(evaluateRow(belowSafety, { FBaseQty: 1, 'FMaterialId.FSafeStock': null })).toEqual({ state: 'unknown' });
  });

  it('keys a row by its key fields', () => {
    expect(
      rowKey(['FMaterialId.FNumber', 'FStockId.FNumber'], {
        'FMaterialId.FNumber': 'WL002',
        'FStockId.FNumber': 'CK01',
      }),
    ).toBe('WL002|CK01');
  });
});

const row = (key: string, value = 3): CrossedRow => ({
  key,
  values: { 'FMaterialId.FName': key, FBaseQty: String(value) },
  value,
  threshold: 5,
  direction: 'below',
});
const check = (partial: Partial<WatchCheck>): WatchCheck => ({
  crossed: [],
  recovered: [],
  unknown: [],
  complete: true,
  rows: 10,
  pages: 1,
  ...partial,
});

describe('advanceWatch', () => {
  it('alerts once when a row crosses, stays quiet while it stays crossed, alerts again after it recovered', () => {
    let memory: WatchMemory = { alerted: {} };
    const first = advanceWatch(memory, check({ crossed: [row('A')] }), 1_000);
    expect(first.newlyCrossed.map((r) => r.key)).toEqual(['A']);
    memory = first.memory;

    const still = advanceWatch(memory, check({ crossed: [row('A', 2)] }), 2_000);
    expect(still.newlyCrossed).toEqual([]);
    expect(still.memory.alerted.A).toEqual({ since: 1_000 });
    memory = still.memory;

    const recovered = advanceWatch(memory, check({ recovered: ['A'] }), 3_000);
    expect(recovered.recovered).toEqual(['A']);
    expect(recovered.memory.alerted).toEqual({});
    memory = recovered.memory;

    const again = advanceWatch(memory, check({ crossed: [row('A')] }), 4_000);
    expect(again.newlyCrossed.map((r) => r.key)).toEqual(['A']);
    expect(again.memory.alerted.A).toEqual({ since: 4_000 });
  });

  it('puts rows crossing together into one step, and only the new ones', () => {
    const memory: WatchMemory = { alerted: { A: { since: 1 } } };
    const step = advanceWatch(memory, check({ crossed: [row('A'), row('B'), row('C'), row('B')] }), 5);
    expect(step.newlyCrossed.map((r) => r.key)).toEqual(['B', 'C']);
    expect(Object.keys(step.memory.alerted).sort()).toEqual(['A', 'B', 'C']);
  });

  it('counts a row gone from a complete read as recovered, but not from a read cut at maxRows', () => {
    const memory: WatchMemory = { alerted: { A: { since: 1 }, B: { since: 1 } } };
    expect(advanceWatch(memory, check({ crossed: [row('B')] }), 2).recovered).toEqual(['A']);
    expect(advanceWatch(memory, check({ crossed: [row('B')], complete: false }), 2).recovered).toEqual([]);
  });

  it('keeps the state of a row whose value could not be read', () => {
    const memory: WatchMemory = { alerted: { A: { since: 1 } } };
    expect(advanceWatch(memory, check({ unknown: ['A'] }), 2).memory.alerted).toEqual({ A: { since: 1 } });
  });
});

describe('the watch alert', () => {
  it('lists every row crossing together in one message', () => {
    const notice = watchAlertNotice({
      name: '库存低于安全库存',
      rows: [row('笔记本电脑', 3), row('打印纸', 0)],
      field: 'FBaseQty',
      shown: ['FMaterialId.FName'],
      at: Date.parse('2026-12-02T09:00:00+08:00'),
      tz: { offsetMinutes: 480 },
    });
    expect(notice.title).toBe('【预警】库存低于安全库存：2 项');
    expect(notice.text).toContain('- 笔记本电脑：FBaseQty 3，低于 5');
    expect(notice.text).toContain('- 打印纸：FBaseQty 0，低于 5');
    expect(notice.text).toContain('检查时间：2026-12-02 09:00');
  });

  it('renders the admin line with field keys and {数值} {阈值} {字段}', () => {
    const line = watchRowLine(
      { ...row('WL002|CK01'), values: { 'FMaterialId.FName': '笔记本电脑', 'FStockId.FName': '总仓' } },
      { field: 'FBaseQty', template: '{FMaterialId.FName}（{fstockid.fname}）{字段} {数值} < {阈值}' },
    );
    expect(line).toBe('笔记本电脑（总仓）FBaseQty 3 < 5');
  });

  it('caps a long list and says how many more', () => {
    const rows = Array.from({ length: 35 }, (_, i) => row(`R${i}`));
    const notice = watchAlertNotice({ name: 'x', rows, field: 'FBaseQty', at: 0, tz: { offsetMinutes: 480 } });
    expect(notice.title).toBe('【预警】x：35 项');
    expect(notice.text).toContain('……另有 5 项');
  });
});
