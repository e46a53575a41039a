/**
 * Notices as DingTalk's markdown renders them: line breaks that show (a single `\n` between lines of text is one
 * line there), lists and links intact, and long texts within the message limit, cut at a character boundary.
 */
import { clipAtCharacter, dingtalkMarkdown, fitNotice, NOTICE_MAX_BYTES, utf8Length } from '../../domain/texts/format';
import { applicantNotice, followUpNotice, opsAlert, overdueNotice, reminder } from '../../domain/texts';
import { expenseClaim } from '../helpers/documents';

const tz = { offsetMinutes: 480 };
const claim = expenseClaim;

/** What a reader sees as separate lines: the rendering rules of DingTalk's subset, simplified. */
function renderedLines(markdown: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const raw of markdown.split('\n')) {
    const hardBreak = / {2}$/.test(raw);
    const line = raw.trimEnd();
    const block = /^(#{1,6}\s|\s*[-*+]\s|\s*\d+[.)]\s|>)/.test(line);
    if (line === '') {
      if (current !== undefined) out.push(current);
      current = undefined;
    } else if (current === undefined || block) {
      if (current !== undefined) out.push(current);
      current = line;
    } else current += ` ${line}`; // a soft break joins lines
    if (hardBreak && current !== undefined) {
      out.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}

describe('dingtalkMarkdown', () => {
  it('ends a line of text followed by another with two spaces, so DingTalk breaks there', () => {
    expect(dingtalkMarkdown('第一行\n第二行\n第三行')).toBe('第一行  \n第二行  \n第三行');
    expect(renderedLines(dingtalkMarkdown('第一行\n第二行'))).toEqual(['第一行', '第二行']);
    expect(renderedLines('第一行\n第二行')).toEqual(['第一行 第二行']); // what a plain \n would have shown
  });

  it('keeps blank lines, headings and list items as they are, and puts a blank line before a list after text', () => {
    expect(dingtalkMarkdown('### 标题\n- 一\n- 二\n\n[查看单据](https://x)')).toBe(
      '### 标题\n- 一\n- 二\n\n[查看单据](https://x)',
    );
    expect(dingtalkMarkdown('请出纳付款\n- 单据：FYBX000123')).toBe('请出纳付款\n\n- 单据：FYBX000123');
    expect(dingtalkMarkdown('1. 一\n2. 二')).toBe('1. 一\n2. 二');
  });

  it('breaks a list item’s further lines inside the item, and normalises \\r\\n', () => {
    expect(dingtalkMarkdown('- 问题：写回失败\r\n金蝶返回：单据被锁定\n- 类型：KingdeeLocked')).toBe(
      '- 问题：写回失败  \n金蝶返回：单据被锁定\n- 类型：KingdeeLocked',
    );
  });
});

describe('notices render as intended', () => {
  it('a rejection reason over several lines stays on several lines', () => {
    const notice = applicantNotice(claim, {
      outcome: 'rejected',
      decisions: [
        { name: '李四', action: 'reject', at: '2026-11-24T02:33:00Z', comment: '发票缺失\n请补充后重新提交' },
      ],
      tz,
    });
    expect(notice.text).toContain('原因：发票缺失  \n请补充后重新提交');
    expect(renderedLines(notice.text)).toEqual([
      '您的费用报销单 FYBX000123（¥12,800.00）已被驳回。',
      '驳回人：李四（2026-11-24 10:33）',
      '原因：发票缺失',
      '请补充后重新提交',
      '请修改后重新提交。',
      '[查看单据](https://kingdee.example/FYBX000123)',
    ]);
  });

  it('a follow-up template over two lines is two lines, then its list, then the link', () => {
    const notice = followUpNotice(claim, {
      template: '请出纳付款：{单号}\n收款人：{申请人}',
      outcome: 'approved',
      decisions: [],
      tz,
    });
    expect(renderedLines(notice.text).slice(0, 3)).toEqual([
      '请出纳付款：FYBX000123',
      '收款人：张三',
      '- 单据：费用报销单 FYBX000123（已审批通过）',
    ]);
    expect(notice.text.endsWith('\n\n[查看单据](https://kingdee.example/FYBX000123)')).toBe(true);
  });

  it('the overdue notice’s configured text keeps its own lines', () => {
    const notice = overdueNotice(claim, {
      stepName: '财务审批',
      waitingFor: ['王五'],
      waitedMs: 3_600_000,
      text: '请注意\n已超时',
    });
    expect(renderedLines(notice.text).slice(0, 2)).toEqual(['请注意', '已超时']);
  });

  it('the ops alert’s multi-line reason stays inside its list item', () => {
    const notice = opsAlert(claim, { workflowId: 'wf', reason: '写回失败\n金蝶：单据被锁定' });
    expect(renderedLines(notice.text)).toContain('- 问题：写回失败');
    expect(renderedLines(notice.text)).toContain('金蝶：单据被锁定');
  });
});

describe('limits', () => {
  it('a very long notice fits the work-notification limit and keeps its link', () => {
    const long = { ...claim, purpose: '出差'.repeat(2000) };
    const notice = followUpNotice(long, { template: '付款 {事由}', outcome: 'approved', decisions: [], tz });
    expect(utf8Length(notice.title) + utf8Length(notice.text)).toBeLessThanOrEqual(NOTICE_MAX_BYTES);
    expect(notice.text).toMatch(/…\n\n\[查看单据\]\(https:\/\/kingdee\.example\/FYBX000123\)$/);
    expect([...notice.title].length).toBeLessThanOrEqual(64);
  });

  it('never cuts inside a surrogate pair, a ZWJ sequence or a flag', () => {
    const emoji = '😀'.repeat(600);
    const cut = clipAtCharacter(emoji, 1001);
    expect(cut.endsWith('😀…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(utf8Length(cut)).toBeLessThanOrEqual(1001);

    const family = '👨‍👩‍👧'; // man ZWJ woman ZWJ girl
    const cutFamily = clipAtCharacter(`ab${family}`, 2 + 4 + 3 + 3); // room for the man and the joiner only
    expect(cutFamily).toBe('ab…');

    const flags = '🇨🇳🇨🇳';
    expect(clipAtCharacter(`a${flags}`, 1 + 4 + 4 + 4 + 3)).toBe('a🇨🇳…');
    expect(clipAtCharacter('é'.normalize('NFD').repeat(3), 6)).toBe('e\u0301…');
  });

  it('a reminder with a long title is cut to 64 characters', () => {
    const notice = reminder(
      { ...claim, formName: '非常长的单据名称'.repeat(10) },
      { stepName: 's', waitingFor: [], waitedMs: 0, count: 1 },
    );
    expect([...notice.title].length).toBeLessThanOrEqual(64);
    expect(notice.title.endsWith('…')).toBe(true);
  });

  it('fitNotice leaves a short notice as it is (apart from line breaks)', () => {
    expect(fitNotice({ title: 't', text: 'a\nb' })).toEqual({ title: 't', text: 'a  \nb' });
  });
});
