/**
 * The sandbox inbox: pick a person (or a group) and see what DingTalk would show them — approval cards with their
 * buttons, work notifications, robot messages and bot replies — and press 同意 / 驳回 as that person.
 */
import { scalarText } from '../text';
import type { DingTalkSeed } from './seed';
import type { EmulatedCard, EmulatedMessage, EmulatedTodo } from './state';

const esc = (text: unknown) =>
  scalarText(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function parseJson<T>(text: string | undefined, fallback: T): T {
  try {
    return text ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

function renderCard(card: EmulatedCard, userId: string): string {
  const p = { ...card.cardParamMap, ...(card.privateData[userId] ?? {}) };
  const lines = parseJson<Array<{ name: string; amount: string }>>(p.lines, []);
  const actions = parseJson<string[]>(p.actions, []);
  const details = parseJson<Array<{ label: string; value: string }>>(p.details, []);
  const currency = p.currency === 'CNY' || !p.currency ? '¥' : `${p.currency} `;
  const buttons =
    p.status === 'pending' && actions.length > 0
      ? `<form method="post" action="/sandbox/cards/${encodeURIComponent(card.outTrackId)}/click" class="actions">
  <input type="hidden" name="userId" value="${esc(userId)}">
  <input name="comment" placeholder="审批意见（驳回时必填）" aria-label="审批意见">
  ${actions.includes('approve') ? '<button name="actionId" value="approve" class="approve">同意</button>' : ''}
  ${actions.includes('reject') ? '<button name="actionId" value="reject" class="reject">驳回</button>' : ''}
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
  return `<article class="card status-${esc(p.status)}" data-out-track-id="${esc(card.outTrackId)}" data-bill-no="${esc(p.billNo)}">
<h3>${esc(p.title)}</h3>
<dl><dt>单据编号</dt><dd class="bill-no">${esc(p.billNo)}</dd><dt>申请人</dt><dd>${esc(p.applicant)}</dd>
<dt>金额</dt><dd class="amount">${esc(currency)}${esc(p.amount)}</dd><dt>事由</dt><dd>${esc(p.purpose)}</dd>
<dt>审批步骤</dt><dd>${esc(p.stepName)}</dd>
${details.map((d) => `<dt>${esc(d.label)}</dt><dd>${esc(d.value)}</dd>`).join('')}</dl>
${p.waiting ? `<p class="waiting">${esc(p.waiting)}</p>` : ''}
${p.chain ? `<div class="chain"><strong>审批记录</strong><pre>${esc(p.chain)}</pre></div>` : ''}
${lines.length ? `<ul class="lines">${lines.map((l) => `<li>${esc(l.name)} ${l.amount ? `${esc(currency)}${esc(l.amount)}` : ''}</li>`).join('')}</ul>` : ''}
${p.link ? `<p><a href="${esc(p.link)}" target="_blank" rel="noreferrer">在金蝶中查看</a></p>` : ''}
${status}${tip}${buttons}${callbackProblem}</article>`;
}

/** A 待办 as the person's 待办 list shows it: title, due time, link; done ones struck through. */
function renderTodo(todo: EmulatedTodo): string {
  const due = todo.dueTime
    ? `<time>截止 ${new Date(todo.dueTime).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}</time>`
    : '';
  const link = todo.detailUrl?.pcUrl ?? todo.detailUrl?.appUrl;
  return `<li class="todo${todo.done ? ' done' : ''}" data-task-id="${esc(todo.id)}">${todo.done ? '✔ ' : ''}${
    link ? `<a href="${esc(link)}" target="_blank" rel="noreferrer">${esc(todo.subject)}</a>` : esc(todo.subject)
  }${todo.description ? `<br><small>${esc(todo.description)}</small>` : ''}${due}</li>`;
}

function renderMessage(message: EmulatedMessage): string {
  const label = { workNotification: '工作通知', robot: '群机器人', sessionReply: '机器人回复' }[message.kind];
  return `<article class="message ${message.kind}${message.dropped ? ' dropped' : ''}"><header>${label}${message.title ? ` · ${esc(message.title)}` : ''}${message.dropped ? '（与当天已发内容相同，钉钉不会再次推送）' : ''}
<time>${new Date(message.at).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai' })}</time></header><pre>${esc(message.text)}</pre></article>`;
}

export function renderSandbox(input: {
  seed: DingTalkSeed;
  userId?: string;
  groupId?: string;
  cards: EmulatedCard[];
  messages: EmulatedMessage[];
  /** The person's 待办 (open and done; deleted ones are not shown). */
  todos?: EmulatedTodo[];
}): string {
  const { seed, userId, groupId } = input;
  const people = seed.users
    .map(
      (u) =>
        `<a href="/sandbox?userId=${encodeURIComponent(u.userId)}" class="${u.userId === userId ? 'current' : ''}">${esc(u.name)}（${esc(u.title ?? u.userId)}）</a>`,
    )
    .join(' ');
  const groups = seed.groups
    .map(
      (g) =>
        `<a href="/sandbox?groupId=${encodeURIComponent(g.openConversationId)}" class="${g.openConversationId === groupId ? 'current' : ''}">${esc(g.name)}</a>`,
    )
    .join(' ');
  const who = userId
    ? seed.users.find((u) => u.userId === userId)?.name
    : seed.groups.find((g) => g.openConversationId === groupId)?.name;
  const pending = input.cards.filter((c) => (c.cardParamMap.status ?? 'pending') === 'pending');
  const done = input.cards.filter((c) => (c.cardParamMap.status ?? 'pending') !== 'pending');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>钉钉沙箱 · ${esc(who ?? '选择人员')}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:1.5em;background:#f5f6f7;color:#1f2329}
nav a{margin-right:.6em}nav a.current{font-weight:bold}.card,.message{background:#fff;border-radius:8px;padding:1em;margin:.8em 0;max-width:32em;box-shadow:0 1px 3px #0002}
.card h3{margin:0 0 .5em;color:#0089ff}dl{display:grid;grid-template-columns:5em 1fr;margin:0}dt{color:#8f959e}dd{margin:0}
.amount{font-weight:bold;color:#d83931}.result{background:#f0f9f0;padding:.5em;border-radius:4px}.tip{color:#b26a00;font-size:.9em}.status-rejected .result{background:#fdf0ef}
.actions input{width:100%;margin:.5em 0;padding:.4em}button{padding:.4em 1.6em;margin-right:.5em;border:0;border-radius:4px;color:#fff}
.approve{background:#0089ff}.reject{background:#d83931}.error{color:#d83931}pre{white-space:pre-wrap;font-family:inherit;margin:.3em 0}
.dropped{opacity:.5}.todo{background:#fff;margin:.3em 0;padding:.5em;border-radius:6px;max-width:32em;list-style:none}.todo.done{opacity:.5;text-decoration:line-through}.waiting{color:#b26a00}.chain pre{margin:.2em 0}time{float:right;color:#8f959e;font-size:.85em}</style></head><body>
<h1>钉钉沙箱</h1><nav><strong>人员：</strong>${people}<br><strong>群：</strong>${groups}</nav>
${who ? `<h2>${esc(who)}</h2>` : '<p>选择一个人员，查看他收到的审批卡片和通知。</p>'}
${
  userId
    ? `<section id="pending"><h3>待处理（${pending.length}）</h3>${pending.map((c) => renderCard(c, userId)).join('') || '<p>暂无待审批卡片</p>'}</section>
<section id="done"><h3>已处理</h3>${done.map((c) => renderCard(c, userId)).join('') || '<p>暂无</p>'}</section>`
    : ''
}
${
  userId && input.todos
    ? `<section id="todos"><h3>待办（${input.todos.filter((t) => !t.done).length}）</h3>${
        input.todos.length ? `<ul>${input.todos.map(renderTodo).join('')}</ul>` : '<p>暂无待办</p>'
      }</section>`
    : ''
}
${who ? `<section id="messages"><h3>消息</h3>${[...input.messages].reverse().map(renderMessage).join('') || '<p>暂无消息</p>'}</section>` : ''}
</body></html>`;
}
