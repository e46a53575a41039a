/**
 * The texts of OA import (a finished, agreed DingTalk approval becomes a Kingdee bill): the comment written back on
 * the DingTalk instance, the originator's notice and the ops alert when it cannot be done.
 *
 * Pure and deterministic (the oa-import workflow imports it).
 */
import { documentStatusLabels, type DocumentStatus } from '../document';
import type { Notice } from './notices';

/** Display names of the bills OA instances can become. */
export const oaFormNames: Record<string, string> = {
  ER_ExpReimbursement: '费用报销单',
  GL_VOUCHER: '会计凭证',
};

const formName = (formId: string): string => oaFormNames[formId] ?? formId;
const statusLabel = (status: string): string => documentStatusLabels[status as DocumentStatus] ?? status;
const titled = (title: string | undefined): string => (title ? `「${title}」` : '');

/** The comment on the instance: `已生成金蝶费用报销单 FYBX00000001（已审核）`. */
export function oaImportedComment(input: { formId: string; billNo: string; status: string }): string {
  return `已生成金蝶${formName(input.formId)} ${input.billNo}（${statusLabel(input.status)}）`;
}

/** The originator's notice once the bill exists. */
export function oaImportedNotice(input: {
  formId: string;
  billNo: string;
  status: string;
  title?: string;
  processInstanceId: string;
}): Notice {
  const next = input.status === 'C' ? '钉钉审批已通过，单据已直接审核' : '单据已提交，将在金蝶中继续审批';
  return {
    title: `已生成金蝶${formName(input.formId)} ${input.billNo}`,
    text: [
      `### 已生成金蝶${formName(input.formId)} ${input.billNo}`,
      '',
      `来自钉钉审批${titled(input.title)}（${input.processInstanceId}），单据状态：${statusLabel(input.status)}`,
      '',
      next,
    ].join('\n'),
  };
}

/** The comment on the instance when no bill could be made. */
export function oaFailedComment(input: { formId: string; reason: string }): string {
  return `未能生成金蝶${formName(input.formId)}：${input.reason}。已通知管理员处理`;
}

/** The originator's notice when no bill could be made. */
export function oaFailedNotice(input: {
  formId: string;
  reason: string;
  title?: string;
  processInstanceId: string;
}): Notice {
  return {
    title: `钉钉审批${titled(input.title)}未能生成金蝶${formName(input.formId)}`,
    text: [
      `### 钉钉审批${titled(input.title)}未能生成金蝶${formName(input.formId)}`,
      '',
      `原因：${input.reason}`,
      '',
      `审批实例 ${input.processInstanceId}；已通知管理员处理，无需重新发起`,
    ].join('\n'),
  };
}

/** The one ops alert: what, why, and what to do. */
export function oaAttentionNotice(input: {
  formId: string;
  reason: string;
  errorType: string;
  processInstanceId: string;
  processCode: string;
  originatorName?: string;
  billNo?: string;
}): Notice {
  return {
    title: `需要处理：钉钉审批未能生成金蝶${formName(input.formId)}`,
    text: [
      `### 需要处理：钉钉审批未能生成金蝶${formName(input.formId)}`,
      '',
      `- 审批实例：${input.processInstanceId}（流程 ${input.processCode}）`,
      ...(input.originatorName ? [`- 发起人：${input.originatorName}`] : []),
      ...(input.billNo ? [`- 金蝶单据：${input.billNo}（已保存，未能提交或审核）`] : []),
      `- 原因：${input.reason}（${input.errorType}）`,
      '',
      '处理：修正原因（规则文件 oa 部分的字段对应、金蝶基础资料或权限）后重试：',
      `POST /admin/oa-imports/oa:${input.processInstanceId}/retry`,
      `已在金蝶手工录入时，标记为已处理：POST /admin/oa-imports/oa:${input.processInstanceId}/resolve`,
    ].join('\n'),
  };
}

/** The comment on the instance when ops settled it by hand (admin resolve). */
export function oaResolvedComment(input: { formId: string; by: string; comment?: string }): string {
  return `金蝶${formName(input.formId)}已由管理员 ${input.by} 处理${input.comment ? `：${input.comment}` : ''}`;
}
