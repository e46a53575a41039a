/**
 * The demo world has what each flow needs (scripts/demo.ts, the seeds, config/rules.example.yaml): every OA process
 * of the rules has its template in the DingTalk seed with the components the mapping reads; the cashiers are in
 * 出纳群; the base data the mappings name exists in Kingdee; and the start-up prints one line per flow.
 */
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import { loadOaTemplates } from '../../emulators/dingtalk/oa';
import { loadSeed } from '../../emulators/kingdee/seed';
import { loadRules } from '../../rules';
import { demoFlows } from '../../scripts/demo';

const rules = loadRules('config/rules.example.yaml');
const dingtalk = loadDingTalkSeed();
const kingdee = loadSeed();
const templates = loadOaTemplates();

it('every OA process of the demo rules has its template, with the components and columns it maps', () => {
  expect(Object.keys(rules.oa.processes).sort()).toEqual(['PROC-FEE-APPLY', 'PROC-FEE-VOUCHER']);
  for (const [code, process] of Object.entries(rules.oa.processes)) {
    const template = templates.find((t) => t.processCode === code);
    expect(template).toBeDefined();
    const names = new Set(template!.components.map((c) => c.name));
    const table = process.voucher?.table ?? process.entries?.table;
    const columns = new Set(template!.components.find((c) => c.name === table)?.columns?.map((c) => c.name) ?? []);
    const mappings = [
      ...Object.values(process.header),
      ...Object.values(process.entries?.fields ?? {}),
      ...(process.voucher?.lines ?? []).flatMap((l) => [
        l.account,
        l.amount,
        ...(l.explanation ? [l.explanation] : []),
      ]),
    ];
    for (const mapping of mappings) {
      if ('component' in mapping) expect(names).toContain(mapping.component);
      if ('column' in mapping) expect(columns).toContain(mapping.column);
    }
  }
});

it('the voucher mapping names accounts, book and 凭证字 Kingdee has', () => {
  const numbers = (form: string) => new Set((kingdee.baseData[form] ?? []).map((r) => r.number));
  const voucher = rules.oa.processes['PROC-FEE-VOUCHER']!;
  for (const line of voucher.voucher!.lines)
    for (const account of Object.values(line.account.values ?? {})) expect(numbers('BD_Account')).toContain(account);
  expect(numbers('BD_AccountBook')).toContain('001');
  expect(numbers('BD_VOUCHERGROUP')).toContain('PRE001');
  expect(numbers('BD_Expense').size).toBeGreaterThanOrEqual(5);
  expect(numbers('BAS_PreBaseDataOne').size).toBeGreaterThanOrEqual(2);
});

it('the cashiers are in 出纳群, and the start-up names one line per flow', () => {
  const cashierGroup = dingtalk.groups.find((g) => g.name === '出纳群');
  for (const cashier of rules.cashiers) expect(cashierGroup?.memberUserIds).toContain(cashier);
  const flows = demoFlows('http://127.0.0.1:8420', 'http://127.0.0.1:8410');
  expect(flows).toHaveLength(6);
  for (const word of ['费用申请', '费用入账', '报销', '确认付款', '加急'])
    expect(flows.some((f) => f.includes(word))).toBe(true);
  expect(flows.join('\n')).toContain('http://127.0.0.1:8420/sandbox?userId=zhangsan');
});
