/**
 * The reimbursement assistant's reading of chat messages (domain/assist), rule by rule: normalising, numbers and
 * amounts, dates, base-data matching, cutting a message into expenses, questions and the confirmation text.
 * The whole fixture's accuracy is held in assist-bench.test.ts.
 */
import {
  AssistInputError,
  findAmounts,
  findDates,
  findTerms,
  itemTerms,
  normalizeMessage,
  parseExpenseMessage,
  parseNumeral,
  projectTerms,
  resolveToday,
  type AssistBaseData,
  type ExpenseProposal,
} from '../../domain/assist';

const today = '2026-11-24'; // a Tuesday

const baseData: AssistBaseData = {
  expenseItems: [
    { number: 'FY001', name: '差旅费-机票', synonyms: ['机票', '飞机票', '航班'] },
    { number: 'FY002', name: '差旅费-火车票', synonyms: ['高铁票', '高铁', '动车', '车票'] },
    { number: 'FY003', name: '差旅费-住宿', synonyms: ['酒店', '住宿', '宾馆'] },
    { number: 'FY004', name: '交通费', synonyms: ['打车', '出租车', '滴滴', 'didi', '的士', '车票'] },
    { number: 'FY005', name: '业务招待费', synonyms: ['招待', '请客户吃饭', '吃饭'] },
    { number: 'FY006', name: '餐费', synonyms: ['工作餐', '吃饭'] },
    { number: 'FY009', name: '快递费', synonyms: ['快递', '顺丰'] },
  ],
  projects: [
    { number: 'XM001', name: '华东客户拓展项目', synonyms: ['华东拓展'] },
    { number: 'XM002', name: 'ERP 升级项目' },
    { number: 'XM003', name: '项目A' },
    { number: 'XM004', name: '项目B' },
    { number: 'XM005', name: '华东仓储项目' },
  ],
};

const parse = (text: string, day = today): ExpenseProposal => parseExpenseMessage(text, { today: day, baseData });
const only = (text: string, day = today) => {
  const proposal = parse(text, day);
  expect(proposal.expenses).toHaveLength(1);
  return proposal.expenses[0]!;
};
const askedFields = (text: string): string[] => parse(text).questions.map((q) => `${q.expense}:${q.field}:${q.reason}`);

describe('normalizeMessage', () => {
  it('turns full-width digits, letters, punctuation and spaces into ASCII and ￥ into ¥', () => {
    expect(normalizeMessage('机票１２８０元，项目Ａ　￥８６．５（滴滴）１１／２０')).toBe(
      '机票1280元，项目A ¥86.5（滴滴）11/20',
    );
    expect(normalizeMessage('第一行\r\n第二行\t完')).toBe('第一行\n第二行 完');
  });
});

describe('parseNumeral', () => {
  it.each([
    ['1280', 1280],
    ['1,280.00', 1280],
    ['86.5', 86.5],
    ['1.2万', 12_000],
    ['3k', 3000],
    ['1.5w', 15_000],
    ['1万2', 12_000],
    ['3千5', 3500],
    ['一千二百八十', 1280],
    ['两千五', 2500],
    ['一万二', 12_000],
    ['一万二千', 12_000],
    ['三百八', 380],
    ['三十五', 35],
    ['十五', 15],
    ['一百零五', 105],
    ['一千零五十', 1050],
    ['八十六点五', 86.5],
    ['一点二万', 12_000],
    ['两万八', 28_000],
    ['壹佰贰拾', 120],
    ['贰仟', 2000],
    ['一二八零', 1280],
  ])('%s is %d', (text, value) => {
    expect(parseNumeral(text)).toBe(value);
  });

  it.each(['', 'abc', '万', '35一', '点五'])('%j is no number', (text) => {
    expect(parseNumeral(text)).toBeUndefined();
  });
});

describe('findAmounts', () => {
  const amounts = (text: string) =>
    findAmounts(normalizeMessage(text), []).map((a) => ({ value: a.value, role: a.role, problem: a.problem }));
  const values = (text: string) => amounts(text).map((a) => a.value);

  it.each([
    ['打车 86.5 块', 86.5],
    ['¥86.5', 86.5],
    ['RMB 2,400', 2400],
    ['机票１２８０', 1280],
    ['一千二百八十元', 1280],
    ['八十六块五', 86.5],
    ['86块5', 86.5],
    ['86元5角', 86.5],
    ['三十八元五角', 38.5],
    ['五毛', 0.5],
    ['壹佰贰拾元整', 120],
    ['往返机票 680*2', 1360],
    ['打车 86快', 86],
    ['场地费 3k', 3000],
    ['四百三十九', 439],
  ])('%s → %d', (text, value) => {
    expect(values(text)).toEqual([value]);
  });

  it.each([
    '酒店两晚',
    '3人吃饭',
    '机票2张',
    '下午3点',
    '航班CA1234',
    '坐G7',
    '第二次',
    '一块去吃饭',
    '电话13800138000',
    '5公里',
    '二等座',
    '三亚',
  ])('%s holds no amount', (text) => {
    expect(values(text)).toEqual([]);
  });

  it('reads a list marker at the start of a line as no amount', () => {
    expect(values('1. 打车 45\n2. 打车 52')).toEqual([45, 52]);
  });

  it('marks approximate and foreign-currency amounts, which have no value', () => {
    expect(amounts('打车三百多')).toEqual([{ value: undefined, role: 'plain', problem: 'approximate' }]);
    expect(amounts('大概 500 块')).toEqual([{ value: undefined, role: 'plain', problem: 'approximate' }]);
    expect(amounts('八十来块')).toEqual([{ value: undefined, role: 'plain', problem: 'approximate' }]);
    expect(amounts('500左右')).toEqual([{ value: undefined, role: 'plain', problem: 'approximate' }]);
    expect(amounts('Uber 32 美元')).toEqual([{ value: undefined, role: 'plain', problem: 'currency' }]);
    expect(amounts('$32')).toEqual([{ value: undefined, role: 'plain', problem: 'currency' }]);
  });

  it('tells rates, totals and parts from plain amounts', () => {
    expect(amounts('每晚450共900').map((a) => a.role)).toEqual(['rate', 'total']);
    expect(amounts('人均150').map((a) => a.role)).toEqual(['rate']);
    expect(amounts('机票1280，含机建50').map((a) => a.role)).toEqual(['plain', 'part']);
    expect(amounts('一共2180').map((a) => a.role)).toEqual(['total']);
  });

  it('never reads inside masked spans (dates, projects)', () => {
    const text = '11月20日 打车 45';
    expect(findAmounts(text, [{ start: 0, end: 6 }]).map((a) => a.value)).toEqual([45]);
  });
});

describe('findDates (today is Tuesday 2026-11-24)', () => {
  const read = (text: string, day = today) =>
    findDates(normalizeMessage(text), day).map(
      (d) => d.date ?? `${d.problem}${d.options ? ` ${d.options.join(',')}` : ''}`,
    );

  it.each([
    ['2026-11-20', '2026-11-20'],
    ['2026/11/20', '2026-11-20'],
    ['2026.11.20', '2026-11-20'],
    ['2026年11月20日', '2026-11-20'],
    ['11月20日', '2026-11-20'],
    ['11月20号', '2026-11-20'],
    ['11月20 打车', '2026-11-20'],
    ['十一月二十日', '2026-11-20'],
    ['十一月十八号', '2026-11-18'],
    ['11/20', '2026-11-20'],
    ['１１／２０', '2026-11-20'],
    ['11.18 打车 35', '2026-11-18'],
    ['20号', '2026-11-20'],
    ['21日', '2026-11-21'],
    ['今天', '2026-11-24'],
    ['昨天', '2026-11-23'],
    ['昨晚', '2026-11-23'],
    ['咋天', '2026-11-23'],
    ['前天', '2026-11-22'],
    ['大前天', '2026-11-21'],
    ['3天前', '2026-11-21'],
    ['两天前', '2026-11-22'],
    ['上周五', '2026-11-20'],
    ['上星期三', '2026-11-18'],
    ['上礼拜五', '2026-11-20'],
    ['上个星期一', '2026-11-16'],
    ['上周日', '2026-11-22'],
    ['上上周五', '2026-11-13'],
    ['本周一', '2026-11-23'],
    ['这周一', '2026-11-23'],
    ['周一', '2026-11-23'],
    ['上个月20号', '2026-10-20'],
    ['本月3号', '2026-11-03'],
    ['去年11月3日', '2025-11-03'],
  ])('%s is %s', (text, date) => {
    expect(read(text)).toEqual([date]);
  });

  it.each([
    ['上周', 'ambiguous'],
    ['上周末', 'ambiguous 2026-11-21,2026-11-22'],
    ['周五', 'ambiguous 2026-11-20'],
    ['周二', 'ambiguous 2026-11-17'],
    ['28号', 'ambiguous 2026-10-28'],
    ['最近', 'ambiguous'],
    ['上个月', 'ambiguous'],
    ['11月份', 'ambiguous'],
    ['11月20日-22日', 'ambiguous 2026-11-20,2026-11-22'],
    ['11月20日至11月22日', 'ambiguous 2026-11-20,2026-11-22'],
    ['20号到22号', 'ambiguous 2026-11-20,2026-11-22'],
    ['2026-11-12至2026-11-14', 'ambiguous 2026-11-12,2026-11-14'],
    ['12月28日', 'ambiguous 2025-12-28,2026-12-28'],
    ['明天', 'future 2026-11-25'],
    ['下周一', 'future 2026-11-30'],
    ['2026-12-01', 'future 2026-12-01'],
    ['2月30日', 'invalid'],
    ['13月5日', 'invalid'],
    ['31号', 'invalid'],
  ])('%s is asked about: %s', (text, problem) => {
    expect(read(text)).toEqual([problem]);
  });

  it('takes a month and day without a year as the most recent past one, across New Year', () => {
    expect(read('12月28日', '2027-01-05')).toEqual(['2026-12-28']);
    expect(read('上周五', '2027-01-05')).toEqual(['2027-01-01']);
    expect(read('昨天', '2026-12-01')).toEqual(['2026-11-30']);
    expect(read('上个月30号', '2026-12-01')).toEqual(['2026-11-30']);
  });

  it.each(['3号线', '5号楼', '两天', '3个月', '一周', '11.5元', '1.2万'])('%s is no date', (text) => {
    expect(read(text)).toEqual([]);
  });

  it('refuses a today that is not a date', () => {
    expect(() => findDates('昨天', '2026-13-01')).toThrow(RangeError);
  });
});

describe('base data matching', () => {
  const items = itemTerms(baseData.expenseItems);
  const projects = projectTerms(baseData.projects);
  const found = (text: string, index = items) =>
    findTerms(normalizeMessage(text), index, { places: true, fuzzy: true }).map(
      (m) => `${m.text}=${m.numbers.join('|')}${m.strength === 'strong' ? '' : `(${m.strength})`}`,
    );

  it('finds items by name, synonym, name part and name without 费 or 票', () => {
    expect(found('打车')).toEqual(['打车=FY004']);
    expect(found('交通费')).toEqual(['交通费=FY004']);
    expect(found('交通')).toEqual(['交通=FY004']);
    expect(found('飞机票')).toEqual(['飞机票=FY001']);
    expect(found('坐飞机')).toEqual(['飞机=FY001']);
    expect(found('住宿')).toEqual(['住宿=FY003']);
    expect(found('DiDi')).toEqual(['DiDi=FY004']);
  });

  it('prefers the longest term and reports a term several items share as one mention of all', () => {
    expect(found('请客户吃饭')).toEqual(['请客户吃饭=FY005']);
    expect(found('吃饭')).toEqual(['吃饭=FY005|FY006']);
    expect(found('车票')).toEqual(['车票=FY002|FY004']);
    expect(found('差旅费')).toEqual(['差旅费=FY001|FY002|FY003']);
  });

  it('marks an item said as a place weak', () => {
    expect(found('打车去高铁站')).toEqual(['打车=FY004', '高铁=FY002(weak)']);
    expect(found('打车回酒店')).toEqual(['打车=FY004', '酒店=FY003(weak)']);
  });

  it('finds a term of three or more characters typed with one wrong character as fuzzy', () => {
    expect(found('出组车')).toEqual(['出组车=FY004(fuzzy)']);
    expect(findTerms('出组车', items, { fuzzy: false })).toEqual([]);
    expect(found('打车')).toEqual(['打车=FY004']); // two characters: never fuzzy
    expect(found('打车去高铁站')).not.toContainEqual(expect.stringContaining('fuzzy')); // 高铁站 is no 高铁票
  });

  it('finds projects by name, synonym, number, with 项目 moved, ignoring case and spaces', () => {
    expect(found('项目A', projects)).toEqual(['项目A=XM003']);
    expect(found('A项目', projects)).toEqual(['A项目=XM003']);
    expect(found('项目ａ', projects)).toEqual(['项目a=XM003']);
    expect(found('xm002', projects)).toEqual(['xm002=XM002']);
    expect(found('ERP升级', projects)).toEqual(['ERP升级=XM002']);
    expect(found('华东拓展', projects)).toEqual(['华东拓展=XM001']);
    expect(found('华东仓储', projects)).toEqual(['华东仓储=XM005']);
    expect(found('项目A 项目B', projects)).toEqual(['项目A=XM003', '项目B=XM004']);
  });
});

describe('parseExpenseMessage: one expense', () => {
  it('reads every field of a complete message and asks nothing', () => {
    const proposal = parse('昨天打车去客户公司 86.5 块，项目A');
    expect(proposal.expenses).toEqual([
      {
        date: '2026-11-23',
        amount: 86.5,
        currency: 'CNY',
        item: { number: 'FY004', name: '交通费' },
        project: { number: 'XM003', name: '项目A' },
        purpose: '打车去客户公司',
        questions: [],
        source: '昨天打车去客户公司 86.5 块，项目A',
      },
    ]);
    expect(proposal.complete).toBe(true);
    expect(proposal.recognized).toBe(true);
  });

  it('reads the fields in any order, with or without spaces', () => {
    for (const text of ['项目A 11月18日 32元 打车', '打车32元11月18日项目A', '32 打车 项目A 11月18日']) {
      expect(only(text)).toMatchObject({
        date: '2026-11-18',
        amount: 32,
        item: { number: 'FY004' },
        project: { number: 'XM003' },
      });
    }
  });

  it('reads full-width messages', () => {
    expect(only('机票１２８０元，１１月２０日，项目Ａ')).toMatchObject({
      date: '2026-11-20',
      amount: 1280,
      project: { number: 'XM003' },
    });
  });

  it('takes 无项目 as an explicit "no project"', () => {
    expect(only('今天快递 12 元 无项目').project).toBeNull();
    expect(only('昨天打车 36 元，没有项目').project).toBeNull();
    expect(only('昨天打车 36 元，项目：无').project).toBeNull();
  });

  it('asks about every missing field and leaves it empty', () => {
    expect(askedFields('报销 1280')).toEqual([
      '0:date:missing',
      '0:item:missing',
      '0:project:missing',
      '0:purpose:missing',
    ]);
    expect(askedFields('昨天打车 项目A')).toEqual(['0:amount:missing']);
    const expense = only('报销 1280');
    expect(expense).toMatchObject({ amount: 1280, purpose: '' });
    expect(expense.date).toBeUndefined();
    expect(expense.item).toBeUndefined();
    expect(expense.project).toBeUndefined();
  });

  it('asks, never guesses, when two items match', () => {
    const proposal = parse('昨天吃饭 300 项目A');
    expect(proposal.expenses[0]!.item).toBeUndefined();
    expect(proposal.questions).toEqual([
      {
        expense: 0,
        field: 'item',
        reason: 'ambiguous',
        mention: '吃饭',
        options: [
          { value: 'FY005', label: '业务招待费' },
          { value: 'FY006', label: '餐费' },
        ],
        text: '「吃饭」是「业务招待费」还是「餐费」？',
      },
    ]);
    expect(askedFields('机票和酒店一共 2180 昨天 项目A')).toEqual(['0:item:ambiguous']);
  });

  it('narrows a shared term by a specific one (招待 … 吃饭 is 业务招待费)', () => {
    expect(only('昨天招待客户 吃饭 300 项目A').item?.number).toBe('FY005');
  });

  it('asks about an ambiguous, future or invalid date', () => {
    expect(askedFields('上周 打车 56 项目A')).toEqual(['0:date:ambiguous']);
    expect(askedFields('昨天还是前天打车 86 项目A')).toEqual(['0:date:ambiguous']);
    expect(askedFields('明天的机票 1280 项目A')).toEqual(['0:date:future']);
    expect(askedFields('2月30日 打车 50 项目A')).toEqual(['0:date:invalid']);
    expect(parse('周五 打车 56 项目A').questions[0]!.text).toBe('「周五」是指 2026-11-20（周五） 吗？');
  });

  it('asks about an approximate amount, a rate without a total and a foreign currency', () => {
    expect(askedFields('打车 三百多 昨天 项目A')).toEqual(['0:amount:approximate']);
    expect(askedFields('酒店每晚 450 11月20日 项目A')).toEqual(['0:amount:rate']);
    expect(askedFields('昨天 滴滴 32 美元 项目A')).toEqual(['0:amount:currency']);
  });

  it('asks about a project that is partly named or unknown', () => {
    const proposal = parse('昨天打车 86 华东项目');
    expect(proposal.questions[0]).toMatchObject({ field: 'project', reason: 'ambiguous', mention: '华东项目' });
    expect(proposal.questions[0]!.options!.map((o) => o.value)).toEqual(['XM001', 'XM005']);
    expect(parse('前天 机票 1280 项目C').questions).toMatchObject([
      { field: 'project', reason: 'unknown', mention: '项目C' },
    ]);
    expect(askedFields('项目A 项目B 打车 50 昨天')).toEqual(['0:project:ambiguous']);
  });

  it('proposes a typo as a question with the likely item', () => {
    const typoData: AssistBaseData = {
      ...baseData,
      expenseItems: [{ number: 'FY004', name: '交通费', synonyms: ['出租车'] }],
    };
    const proposal = parseExpenseMessage('11月20日 出组车 45 项目A', { today, baseData: typoData });
    expect(proposal.expenses[0]!.item).toBeUndefined();
    expect(proposal.questions[0]).toMatchObject({
      field: 'item',
      reason: 'typo',
      text: '「出组车」是指「交通费」吗？',
    });
  });

  it('cleans the purpose: no date, amount, project or filler words, items kept', () => {
    expect(only('老板，我昨天打车去机场花了 128 块钱，项目B，麻烦报一下').purpose).toBe('打车去机场');
    expect(only('报销 上周五请客户吃饭 ¥860 华东客户拓展项目').purpose).toBe('请客户吃饭');
    expect(only('项目B的打车费32元，11月18日').purpose).toBe('打车费');
    expect(only('昨天打车86.5，项目A，谢谢~').purpose).toBe('打车');
  });

  it('drops the part of an amount (含机建50)', () => {
    expect(only('昨天 机票 1280 元，含机建 50 项目A').amount).toBe(1280);
  });
});

describe('parseExpenseMessage: several expenses', () => {
  const lines = (text: string) =>
    parse(text).expenses.map((e) => [
      e.date ?? '?',
      e.amount ?? '?',
      e.item?.number ?? '?',
      e.project === null ? null : (e.project?.number ?? '?'),
    ]);

  it('reads the issue example as two expenses', () => {
    expect(lines('报销 机票1280 酒店两晚共900元')).toEqual([
      ['?', 1280, 'FY001', '?'],
      ['?', 900, 'FY003', '?'],
    ]);
  });

  it('shares what stands before the first and after the last expense', () => {
    const proposal = parse('昨天去上海出差，机票1280，酒店900，项目A');
    expect(lines('昨天去上海出差，机票1280，酒店900，项目A')).toEqual([
      ['2026-11-23', 1280, 'FY001', 'XM003'],
      ['2026-11-23', 900, 'FY003', 'XM003'],
    ]);
    expect(proposal.expenses.map((e) => e.purpose)).toEqual(['去上海出差，机票', '去上海出差，酒店']);
  });

  it('gives each expense its own date and project when it has one', () => {
    expect(lines('11月20日 打车 45，11月21日 打车 38，项目B')).toEqual([
      ['2026-11-20', 45, 'FY004', 'XM004'],
      ['2026-11-21', 38, 'FY004', 'XM004'],
    ]);
    expect(lines('项目A机票1280，项目B酒店900，昨天')).toEqual([
      ['2026-11-23', 1280, 'FY001', 'XM003'],
      ['2026-11-23', 900, 'FY003', 'XM004'],
    ]);
  });

  it('follows the message order: amount before item', () => {
    expect(lines('1280的机票，900的酒店，11月20日，项目A')).toEqual([
      ['2026-11-20', 1280, 'FY001', 'XM003'],
      ['2026-11-20', 900, 'FY003', 'XM003'],
    ]);
  });

  it('cuts at +, 、, ；, connectors and numbered lines', () => {
    expect(lines('机票1280+酒店900+打车86 项目B 11月20日')).toHaveLength(3);
    expect(lines('报销三笔：机票1280、酒店900、打车86.5，都在11月20日，项目A')).toHaveLength(3);
    expect(lines('机票 1280 和 高铁 553，上周五，ERP升级项目')).toEqual([
      ['2026-11-20', 1280, 'FY001', 'XM002'],
      ['2026-11-20', 553, 'FY002', 'XM002'],
    ]);
    expect(lines('项目B 报销两笔\n1. 11月18日 打车 45\n2. 11月19日 打车 52')).toEqual([
      ['2026-11-18', 45, 'FY004', 'XM004'],
      ['2026-11-19', 52, 'FY004', 'XM004'],
    ]);
  });

  it('does not take a total that sums the others, nor a rate beside its total, as an expense', () => {
    expect(lines('机票1280，酒店900，一共2180，项目A，11月20日')).toHaveLength(2);
    expect(lines('一共2180：机票1280 酒店900 项目A 昨天')).toHaveLength(2);
    expect(lines('酒店两晚每晚450共900，打车50，昨天，项目A')).toEqual([
      ['2026-11-23', 900, 'FY003', 'XM003'],
      ['2026-11-23', 50, 'FY004', 'XM003'],
    ]);
    expect(lines('上周五和客户吃饭，人均150，一共4个人，总共600，项目B')).toHaveLength(1);
  });

  it('inherits the one item the message names (打车费：上周五 50，昨天 30)', () => {
    expect(lines('打车费：上周五 50，昨天 30，项目A')).toEqual([
      ['2026-11-20', 50, 'FY004', 'XM003'],
      ['2026-11-23', 30, 'FY004', 'XM003'],
    ]);
  });

  it('asks for the date of an expense without one when the message names several', () => {
    const proposal = parse('上周五打车50，前天打车30，还有机票1280');
    expect(proposal.expenses[2]!.date).toBeUndefined();
    expect(proposal.questions.find((q) => q.expense === 2 && q.field === 'date')).toMatchObject({
      reason: 'ambiguous',
      options: [{ value: '2026-11-20' }, { value: '2026-11-22' }],
    });
  });
});

describe('the confirmation text', () => {
  it('lists what was understood and says it is complete', () => {
    expect(parse('昨天打车去客户公司 86.5 块，项目A').summary).toBe(
      [
        '我理解的报销：',
        '日期：2026-11-23（周一）',
        '费用项目：交通费',
        '金额：¥86.50',
        '项目：项目A',
        '事由：打车去客户公司',
        '信息齐全，确认无误即可提交。',
      ].join('\n'),
    );
  });

  it('lists several expenses with their total and asks each question once', () => {
    expect(parse('报销 机票1280 酒店两晚共900元').summary).toBe(
      [
        '我理解为 2 笔报销，合计 ¥2,180.00：',
        '1. 待确认｜差旅费-机票｜¥1,280.00｜待确认｜事由：机票',
        '2. 待确认｜差旅费-住宿｜¥900.00｜待确认｜事由：酒店两晚',
        '还需要您确认：',
        '1. 第1、2笔：费用是哪天发生的？',
        '2. 第1、2笔：归属哪个项目？没有项目请回复“无项目”',
      ].join('\n'),
    );
  });

  it('says when nothing was recognised', () => {
    const proposal = parse('你好');
    expect(proposal.recognized).toBe(false);
    expect(proposal.complete).toBe(false);
    expect(proposal.expenses).toHaveLength(1);
  });
});

describe('options', () => {
  it('reads today as YYYY-MM-DD, or as an instant in the time zone', () => {
    expect(resolveToday('2026-11-24')).toBe('2026-11-24');
    expect(resolveToday('2026-11-23T17:30:00Z')).toBe('2026-11-24'); // 01:30 in China
    expect(resolveToday('2026-11-23T17:30:00Z', 'UTC')).toBe('2026-11-23');
    expect(resolveToday('2026-11-23T17:30:00Z', 'Asia/Shanghai')).toBe('2026-11-24');
    expect(resolveToday('2026-11-24T01:30:00+08:00', '-05:00')).toBe('2026-11-23');
    expect(only('昨天 打车 50 项目A', '2026-11-23T17:30:00Z').date).toBe('2026-11-23');
  });

  it('refuses a today or a time zone it cannot read', () => {
    expect(() => parse('昨天打车', '2026-02-30')).toThrow(AssistInputError);
    expect(() => parse('昨天打车', '2026-11-24T10:00:00')).toThrow(AssistInputError); // no offset: host-dependent
    expect(() => parseExpenseMessage('昨天', { today, timeZone: 'Europe/Berlin', baseData })).toThrow(AssistInputError);
  });

  it('is deterministic: the same message gives the same proposal', () => {
    const text = '上周五机票1280元，上周六酒店一晚460元，都是华东客户拓展项目';
    expect(parse(text)).toEqual(parse(text));
  });
});
