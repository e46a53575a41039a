/**
 * The sandbox: pick a person (or a group) and see what DingTalk would show them — approval cards with their
 * buttons (同意 / 驳回, and 转交 / 加签 with a person picker when the card offers them), the person's 待办, the chat
 * with the bot (1:1, or the group's with @bot), work notifications and robot messages, and DingTalk's own OA
 * approvals (start a 费用申请, approve one as its approver). Every form posts to control.ts, which acts through the
 * same emulator functions DingTalk's protocol uses (card callbacks, robot messages, OA instances and their events).
 */
import { scalarText } from '../text';
import type { EmulatedOaInstance, OaTemplate } from './oa';
import type { DingTalkSeed } from './seed';
import type { EmulatedCard, EmulatedMessage, EmulatedTodo, SentBotMessage } from './state';

/** Text made safe for HTML content and attribute values. */
export const escapeHtml = (text: unknown): string =>
  scalarText(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const esc = escapeHtml;

/** Rows of a table component (TableField) the OA form offers. */
export const oaFormTableRows = 3;

/** The card buttons the sandbox can press, and their labels. */
export const sandboxCardButtons = {
  approve: '同意',
  reject: '驳回',
  transfer: '转交',
  addApprover: '加签',
} as const;
export type SandboxCardButton = keyof typeof sandboxCardButtons;

const chinaTime = (ms: number) => new Date(ms).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' });

function parseJson<T>(text: string | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

/** The parameters a person sees on a card: the card's, with their private data over it. */
export function cardParamsFor(card: EmulatedCard, userId: string): Record<string, string> {
  return { ...card.cardParamMap, ...(card.privateData[userId] ?? {}) };
}

/** The buttons a card shows the person now: its `actions` while pending, none otherwise. */
export function cardButtonsFor(card: EmulatedCard, userId: string): SandboxCardButton[] {
  const p = cardParamsFor(card, userId);
  if ((p.status ?? 'pending') !== 'pending') return [];
  const actions = parseJson<unknown>(p.actions, []);
  return (Array.isArray(actions) ? actions : []).filter(
    (a): a is SandboxCardButton => typeof a === 'string' && Object.hasOwn(sandboxCardButtons, a),
  );
}

function personLabel(user: DingTalkSeed['users'][number]): string {
  return `${esc(user.name)}（${esc(user.title ?? user.userId)}）`;
}

function renderCard(card: EmulatedCard, userId: string, seed: DingTalkSeed): string {
  const p = cardParamsFor(card, userId);
  const lines = parseJson<Array<{ name: string; amount: string }>>(p.lines, []);
  const buttons = cardButtonsFor(card, userId);
  const details = parseJson<Array<{ label: string; value: string }>>(p.details, []);
  const currency = p.currency === 'CNY' || !p.currency ? '¥' : `${p.currency} `;
  const handover = buttons.includes('transfer') || buttons.includes('addApprover');
  const picker = handover
    ? `<div class="handover"><label>转交 / 加签给 <select name="target" aria-label="转交或加签给">
<option value="">选择人员…</option>${seed.users
        .filter((u) => u.userId !== userId)
        .map((u) => `<option value="${esc(u.userId)}">${personLabel(u)}</option>`)
        .join('')}</select></label>
<input name="targetText" placeholder="或输入姓名、手机号或 userId" aria-label="转交或加签给（姓名、手机号或 userId）"></div>`
    : '';
  const form =
    buttons.length > 0
      ? `<form method="post" action="/sandbox/cards/${encodeURIComponent(card.outTrackId)}/click" class="actions">
  <input type="hidden" name="userId" value="${esc(userId)}">
  <input name="comment" placeholder="审批意见（驳回时必填）" aria-label="审批意见">
  ${picker}
  ${buttons
    .map(
      (b) =>
        `<button name="actionId" value="${esc(b)}" class="${{ approve: 'approve', reject: 'reject', transfer: 'transfer', addApprover: 'add-approver' }[b]}">${sandboxCardButtons[b]}</button>`,
    )
    .join('')}
</form>`
      : '';
  const status =
    p.status === 'processing'
      ? '<p class="result">处理中…</p>'
      : p.result
        ? `<p class="result">${esc(p.result)}</p>`
        : '';
  // The clicking person's private tip (why their click was refused); nobody else sees it.
  const tip = p.tip ? `<p class="tip">${esc(p.tip)}</p>` : '';
  const callbackProblem =
    card.lastCallback && !card.lastCallback.ok ? `<p class="error">回调失败：${esc(card.lastCallback.detail)}</p>` : '';
  return `<article class="card status-${esc(p.status)}" id="card-${esc(card.outTrackId)}" data-out-track-id="${esc(card.outTrackId)}" data-bill-no="${esc(p.billNo)}" data-status="${esc(p.status)}">
<h3>${esc(p.title)}</h3>
<dl><dt>单据编号</dt><dd class="bill-no">${esc(p.billNo)}</dd><dt>申请人</dt><dd>${esc(p.applicant)}</dd>
<dt>金额</dt><dd class="amount">${esc(currency)}${esc(p.amount)}</dd><dt>事由</dt><dd>${esc(p.purpose)}</dd>
<dt>审批步骤</dt><dd>${esc(p.stepName)}</dd>
${details.map((d) => `<dt>${esc(d.label)}</dt><dd>${esc(d.value)}</dd>`).join('')}</dl>
${p.notes ? `<p class="notes">${esc(p.notes)}</p>` : ''}
${p.waiting ? `<p class="waiting">${esc(p.waiting)}</p>` : ''}
${p.chain ? `<div class="chain"><strong>审批记录</strong><pre>${esc(p.chain)}</pre></div>` : ''}
${lines.length ? `<ul class="lines">${lines.map((l) => `<li>${esc(l.name)} ${l.amount ? `${esc(currency)}${esc(l.amount)}` : ''}</li>`).join('')}</ul>` : ''}
${p.link ? `<p><a href="${esc(p.link)}" target="_blank" rel="noreferrer">在金蝶中查看</a></p>` : ''}
${status}${tip}${form}${callbackProblem}</article>`;
}

/** A 待办 as the person's 待办 list shows it: title, due time, link; done ones struck through. */
function renderTodo(todo: EmulatedTodo): string {
  const due = todo.dueTime ? `<time>截止 ${chinaTime(todo.dueTime)}</time>` : '';
  const link = todo.detailUrl?.pcUrl ?? todo.detailUrl?.appUrl;
  return `<li class="todo${todo.done ? ' done' : ''}" data-task-id="${esc(todo.id)}" data-done="${todo.done}">${todo.done ? '✔ ' : ''}${
    link ? `<a href="${esc(link)}" target="_blank" rel="noreferrer">${esc(todo.subject)}</a>` : esc(todo.subject)
  }${todo.description ? `<br><small>${esc(todo.description)}</small>` : ''}${due}</li>`;
}

function renderMessage(message: EmulatedMessage): string {
  const label = { workNotification: '工作通知', robot: '群机器人', sessionReply: '机器人回复' }[message.kind];
  return `<article class="message ${message.kind}${message.dropped ? ' dropped' : ''}"><header>${label}${message.title ? ` · ${esc(message.title)}` : ''}${message.dropped ? '（与当天已发内容相同，钉钉不会再次推送）' : ''}
<time>${chinaTime(message.at)}</time></header><pre>${esc(message.text)}</pre></article>`;
}

/** One line of a chat window: what a person wrote, or what the bot (or a group robot) sent. */
type ChatLine = { at: number; html: string };

function chatLines(seed: DingTalkSeed, sent: readonly SentBotMessage[], received: readonly EmulatedMessage[]) {
  const nameOf = (userId: string) => seed.users.find((u) => u.userId === userId)?.name ?? userId;
  const lines: ChatLine[] = [
    ...sent.map((m) => ({
      at: m.at,
      html: `<li class="said" data-user-id="${esc(m.userId)}"><strong>${esc(nameOf(m.userId))}</strong><time>${chinaTime(m.at)}</time><pre>${esc(m.text)}</pre></li>`,
    })),
    ...received.map((m) => ({
      at: m.at,
      html: `<li class="${m.kind === 'sessionReply' ? 'bot-reply' : 'robot'}"><strong>${m.kind === 'sessionReply' ? '审批助手' : '群机器人'}${m.title ? ` · ${esc(m.title)}` : ''}</strong><time>${chinaTime(m.at)}</time><pre>${esc(m.text)}</pre></li>`,
    })),
  ];
  return lines.sort((a, b) => a.at - b.at);
}

function renderChat(input: {
  seed: DingTalkSeed;
  title: string;
  lines: ChatLine[];
  /** The person writing (1:1), or the group members to choose from. */
  as: { userId: string } | { groupId: string; members: DingTalkSeed['users']; selected?: string };
}): string {
  const { as } = input;
  const sender =
    'userId' in as
      ? `<input type="hidden" name="userId" value="${esc(as.userId)}">`
      : `<input type="hidden" name="groupId" value="${esc(as.groupId)}"><label>发送人 <select name="userId" aria-label="发送人">${as.members
          .map(
            (u) =>
              `<option value="${esc(u.userId)}"${u.userId === as.selected ? ' selected' : ''}>${personLabel(u)}</option>`,
          )
          .join('')}</select></label>`;
  const placeholder =
    'userId' in as
      ? '给审批助手发消息，例如：同意 FYBX000123、报销 11月20日 机票 1280元'
      : '@审批助手 例如：确认付款 FYBX000123';
  return `<section id="chat"><h3>${esc(input.title)}</h3>
<ol class="chat">${input.lines.map((l) => l.html).join('') || '<li class="empty">还没有消息</li>'}</ol>
<form method="post" action="/sandbox/chat" class="chat-form">${sender}
<input name="text" required maxlength="2000" placeholder="${esc(placeholder)}" aria-label="消息">
<button class="send">发送</button></form></section>`;
}

const oaStatusLabels = (i: EmulatedOaInstance): string =>
  i.status === 'RUNNING' ? '审批中' : i.status === 'TERMINATED' ? '已撤销' : i.result === 'agree' ? '已同意' : '已拒绝';

/** A component value as the approval page shows it; a table's rows one a line. */
function oaValueText(value: { value: string; componentType: string }): string {
  if (value.componentType !== 'TableField') return value.value;
  const rows = parseJson<Array<{ rowValue?: Array<{ label?: string; value?: string }> }>>(value.value, []);
  return (Array.isArray(rows) ? rows : [])
    .map((row) =>
      (row.rowValue ?? [])
        .filter((cell) => scalarText(cell.value) !== '')
        .map((cell) => `${scalarText(cell.label)}：${scalarText(cell.value)}`)
        .join('，'),
    )
    .join('\n');
}

function renderOaInstance(instance: EmulatedOaInstance, userId: string, seed: DingTalkSeed): string {
  const nameOf = (id: string | undefined) => seed.users.find((u) => u.userId === id)?.name ?? id ?? '（无）';
  const decide =
    instance.status === 'RUNNING' && instance.approverUserId === userId
      ? `<form method="post" action="/sandbox/oa/instances/${encodeURIComponent(instance.processInstanceId)}/decide" class="oa-decide">
<input type="hidden" name="userId" value="${esc(userId)}">
<input name="remark" placeholder="审批意见（选填）" aria-label="审批意见">
<button name="result" value="agree" class="approve">同意</button><button name="result" value="refuse" class="reject">拒绝</button></form>`
      : '';
  const remarks = instance.operationRecords.filter((r) => r.remark && r.type !== 'ADD_REMARK');
  return `<article class="oa-instance" id="oa-${esc(instance.processInstanceId)}" data-instance-id="${esc(instance.processInstanceId)}" data-status="${esc(instance.status)}" data-result="${esc(instance.result)}">
<h4>${esc(instance.title)} <span class="oa-status">${oaStatusLabels(instance)}</span></h4>
<dl><dt>审批编号</dt><dd>${esc(instance.businessId)}</dd><dt>发起人</dt><dd>${esc(nameOf(instance.originatorUserId))}（${esc(instance.originatorDeptName)}）</dd>
<dt>审批人</dt><dd>${esc(nameOf(instance.approverUserId))}</dd>
${instance.formComponentValues.map((v) => `<dt>${esc(v.name)}</dt><dd><pre>${esc(oaValueText(v))}</pre></dd>`).join('')}</dl>
${remarks.map((r) => `<p class="oa-remark">${esc(nameOf(r.userId))}：${esc(r.remark)}</p>`).join('')}
${instance.comments.length ? `<ul class="oa-comments">${instance.comments.map((c) => `<li><strong>${esc(nameOf(c.userId))}</strong> 评论：${esc(c.text)}</li>`).join('')}</ul>` : ''}
${decide}</article>`;
}

function oaInput(name: string, type: string, label: string, options?: readonly string[], required = false): string {
  const attrs = `name="${esc(name)}" aria-label="${esc(label)}"${required ? ' required' : ''}`;
  if (options)
    return `<select ${attrs}><option value="">请选择</option>${options.map((o) => `<option>${esc(o)}</option>`).join('')}</select>`;
  if (type === 'TextareaField') return `<textarea ${attrs} rows="2"></textarea>`;
  if (type === 'DDDateField') return `<input type="date" ${attrs}>`;
  if (type === 'MoneyField' || type === 'NumberField')
    return `<input inputmode="decimal" pattern="-?[0-9][0-9,]*(\\.[0-9]+)?" ${attrs}>`;
  return `<input ${attrs}>`;
}

/** The form to start an instance of a template, built from its components (tables with a few rows). */
function renderOaForm(template: OaTemplate, userId: string): string {
  const fields = template.components
    .map((c) => {
      const mark = c.required ? '<span class="required">*</span>' : '';
      if (c.componentType !== 'TableField')
        return `<label class="oa-field">${esc(c.name)}${mark} ${oaInput(`f.${c.name}`, c.componentType, c.name, c.options, c.required)}</label>`;
      const columns = c.columns ?? [];
      const rows = Array.from(
        { length: oaFormTableRows },
        (_, r) =>
          `<tr>${columns
            .map(
              (col) =>
                `<td>${oaInput(`t.${c.name}.${r}.${col.name}`, col.componentType, `${c.name} 第${r + 1}行 ${col.name}`, col.options)}</td>`,
            )
            .join('')}</tr>`,
      ).join('');
      return `<fieldset class="oa-table"><legend>${esc(c.name)}${mark}</legend><table><thead><tr>${columns
        .map((col) => `<th>${esc(col.name)}</th>`)
        .join('')}</tr></thead><tbody>${rows}</tbody></table></fieldset>`;
    })
    .join('\n');
  return `<form method="post" action="/sandbox/oa/instances" class="oa-form" data-process-code="${esc(template.processCode)}">
<h4>发起：${esc(template.name)}</h4>
<input type="hidden" name="userId" value="${esc(userId)}"><input type="hidden" name="processCode" value="${esc(template.processCode)}">
${fields}
<button class="approve">提交</button></form>`;
}

function renderOa(
  oa: { templates: readonly OaTemplate[]; instances: readonly EmulatedOaInstance[] },
  userId: string,
  seed: DingTalkSeed,
): string {
  const mine = oa.instances.filter((i) => i.originatorUserId === userId);
  const toApprove = oa.instances.filter((i) => i.approverUserId === userId && i.status === 'RUNNING');
  const approved = oa.instances.filter((i) => i.approverUserId === userId && i.status !== 'RUNNING');
  const list = (items: readonly EmulatedOaInstance[], empty: string) =>
    items.map((i) => renderOaInstance(i, userId, seed)).join('') || `<p>${empty}</p>`;
  return `<section id="oa"><h3>钉钉审批（OA）</h3>
<div id="oa-to-approve"><h4>待我审批（${toApprove.length}）</h4>${list(toApprove, '暂无')}</div>
<div id="oa-mine"><h4>我发起的</h4>${list(mine, '暂无')}</div>
${approved.length ? `<div id="oa-approved"><h4>我已审批</h4>${list(approved, '暂无')}</div>` : ''}
${oa.templates.map((t) => renderOaForm(t, userId)).join('')}</section>`;
}

export function renderSandbox(input: {
  seed: DingTalkSeed;
  userId?: string;
  groupId?: string;
  cards: EmulatedCard[];
  messages: EmulatedMessage[];
  /** The person's 待办 (open and done; deleted ones are not shown). */
  todos?: EmulatedTodo[];
  /** What people wrote to the bot (the sandbox picks the person's 1:1 chat, or the group's). */
  sentToBot?: readonly SentBotMessage[];
  /** OA: the templates a person can start, and the instances (the sandbox picks the person's). */
  oa?: { templates: readonly OaTemplate[]; instances: readonly EmulatedOaInstance[] };
  /** In a group: whom the chat box sends as (default its first member). */
  asUserId?: string;
  /** A problem to show at the top (e.g. an unknown person). */
  problem?: string;
}): string {
  const { seed, userId, groupId } = input;
  const people = seed.users
    .map(
      (u) =>
        `<a href="/sandbox?userId=${encodeURIComponent(u.userId)}" class="${u.userId === userId ? 'current' : ''}">${personLabel(u)}</a>`,
    )
    .join(' ');
  const groups = seed.groups
    .map(
      (g) =>
        `<a href="/sandbox?groupId=${encodeURIComponent(g.openConversationId)}" class="${g.openConversationId === groupId ? 'current' : ''}">${esc(g.name)}</a>`,
    )
    .join(' ');
  const user = userId ? seed.users.find((u) => u.userId === userId) : undefined;
  const group = !user && groupId ? seed.groups.find((g) => g.openConversationId === groupId) : undefined;
  const who = user?.name ?? group?.name;
  const pending = input.cards.filter((c) => (c.cardParamMap.status ?? 'pending') === 'pending');
  const done = input.cards.filter((c) => (c.cardParamMap.status ?? 'pending') !== 'pending');
  const sent = input.sentToBot ?? [];
  let body = '';
  if (user) {
    const oneToOne = (m: EmulatedMessage) => m.kind === 'sessionReply' && !m.groupId;
    body = `<section id="pending"><h3>待处理（${pending.length}）</h3>${pending.map((c) => renderCard(c, user.userId, seed)).join('') || '<p>暂无待审批卡片</p>'}</section>
<section id="done"><h3>已处理</h3>${done.map((c) => renderCard(c, user.userId, seed)).join('') || '<p>暂无</p>'}</section>
${
  input.todos
    ? `<section id="todos"><h3>待办（${input.todos.filter((t) => !t.done).length}）</h3>${
        input.todos.length ? `<ul>${input.todos.map(renderTodo).join('')}</ul>` : '<p>暂无待办</p>'
      }</section>`
    : ''
}
${renderChat({
  seed,
  title: '与审批助手的对话',
  lines: chatLines(
    seed,
    sent.filter((m) => m.userId === user.userId && !m.groupId),
    input.messages.filter(oneToOne),
  ),
  as: { userId: user.userId },
})}
${input.oa ? renderOa(input.oa, user.userId, seed) : ''}
<section id="messages"><h3>消息</h3>${
      [...input.messages]
        .filter((m) => !oneToOne(m))
        .reverse()
        .map(renderMessage)
        .join('') || '<p>暂无消息</p>'
    }</section>`;
  } else if (group) {
    const members = seed.users.filter((u) => group.memberUserIds.includes(u.userId));
    body = renderChat({
      seed,
      title: `${group.name}（群聊，@审批助手）`,
      lines: chatLines(
        seed,
        sent.filter((m) => m.groupId === group.openConversationId),
        input.messages.filter((m) => m.groupId === group.openConversationId),
      ),
      as: {
        groupId: group.openConversationId,
        members,
        ...(input.asUserId ? { selected: input.asUserId } : {}),
      },
    });
  }
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>钉钉沙箱 · ${esc(who ?? '选择人员')}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:1.5em;background:#f5f6f7;color:#1f2329}
nav a{margin-right:.6em}nav a.current{font-weight:bold}.card,.message,.oa-instance,.oa-form{background:#fff;border-radius:8px;padding:1em;margin:.8em 0;max-width:36em;box-shadow:0 1px 3px #0002}
.card h3{margin:0 0 .5em;color:#0089ff}dl{display:grid;grid-template-columns:5em 1fr;margin:0}dt{color:#8f959e}dd{margin:0}
.amount{font-weight:bold;color:#d83931}.result{background:#f0f9f0;padding:.5em;border-radius:4px}.tip{color:#b26a00;font-size:.9em}.status-rejected .result{background:#fdf0ef}
.actions input,.chat-form input[name=text]{width:100%;margin:.5em 0;padding:.4em;box-sizing:border-box}button{padding:.4em 1.2em;margin:.2em .5em .2em 0;border:0;border-radius:4px;color:#fff;background:#0089ff}
.approve{background:#0089ff}.reject{background:#d83931}.transfer,.add-approver{background:#7f3bf5}.error,.problem{color:#d83931}pre{white-space:pre-wrap;font-family:inherit;margin:.3em 0}
.handover{margin:.3em 0}.handover input{width:auto}.notes{color:#b26a00}
.dropped{opacity:.5}.todo{background:#fff;margin:.3em 0;padding:.5em;border-radius:6px;max-width:36em;list-style:none}.todo.done{opacity:.5;text-decoration:line-through}.waiting{color:#b26a00}.chain pre{margin:.2em 0}time{float:right;color:#8f959e;font-size:.85em}
.chat{list-style:none;padding:0;max-width:36em}.chat li{background:#fff;border-radius:8px;padding:.5em .8em;margin:.4em 0}.chat li.said{background:#d6ebff;margin-left:3em}.chat-form{max-width:36em}
.oa-field{display:block;margin:.4em 0}.oa-field input,.oa-field textarea{width:100%;box-sizing:border-box}.oa-table td input,.oa-table td select{width:7em}.required{color:#d83931}.oa-status{font-size:.8em;color:#0089ff}</style></head><body>
<h1>钉钉沙箱</h1><nav><strong>人员：</strong>${people}<br><strong>群：</strong>${groups}</nav>
${input.problem ? `<p class="problem">${esc(input.problem)}</p>` : ''}
${who ? `<h2>${esc(who)}</h2>` : '<p>选择一个人员，查看他收到的审批卡片、待办、消息和钉钉审批；或选择一个群，在群里@审批助手。</p>'}
${body}
</body></html>`;
}

/** A page for a sandbox form the emulator could not act on: what was wrong, and the way back. */
export function renderSandboxProblem(message: string, back: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>钉钉沙箱 · 无法操作</title></head><body>
<h1>无法操作</h1><p class="problem">${esc(message)}</p><p><a href="${esc(back)}">返回</a></p></body></html>`;
}
