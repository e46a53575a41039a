/** The emulator's read-only document list (demo): what Kingdee holds, with statuses in words. */
import { scalarText } from '../text';
import type { EmulatedDocument } from './state';

const escape = (text: unknown) =>
  scalarText(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const amountKeys = ['FReqReimbAmountSum', 'FPAYTOTALAMOUNTFOR_H', 'FALLAMOUNTFOR', 'FBillAllAmount'];

export function renderDocumentsPage(
  documents: EmulatedDocument[],
  statusLabels: Record<string, string>,
  formNames: Record<string, string>,
): string {
  const rows = documents
    .map((doc) => {
      const amount = amountKeys.map((k) => doc.fields[k]).find((v) => typeof v === 'number');
      const last = doc.history[doc.history.length - 1];
      return `<tr data-bill-no="${escape(doc.billNo)}"><td>${escape(formNames[doc.formId] ?? doc.formId)}</td><td>${escape(doc.billNo)}</td>
<td class="status status-${doc.status}">${doc.status} ${escape(statusLabels[doc.status])}</td>
<td style="text-align:right">${typeof amount === 'number' ? amount.toLocaleString('zh-CN', { minimumFractionDigits: 2 }) : ''}</td>
<td>${escape(doc.fields.FModifyDate)}</td><td>${last ? escape(`${last.operation} · ${last.user}${last.comment ? ` · ${last.comment}` : ''}`) : ''}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>金蝶云星空模拟器 · 单据</title>
<meta http-equiv="refresh" content="5">
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}
.status-C{color:#2a7d2a}.status-B{color:#b26b00}</style></head><body>
<h1>金蝶云星空模拟器 · 单据列表</h1><p>只读页面，每 5 秒刷新。</p>
<table><thead><tr><th>单据类型</th><th>单据编号</th><th>状态</th><th>金额</th><th>修改时间</th><th>最近操作</th></tr></thead>
<tbody>${rows}</tbody></table></body></html>`;
}
