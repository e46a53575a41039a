/**
 * What a needs-attention entry tells ops to do, by what failed: in the write-back phase the cards are refreshed
 * alongside the write-back, and only the write-back's own failure is one to settle in Kingdee.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { attentionActions, attentionTasks } from '../../domain/texts/approval';
import { attentionFor } from '../../workflows/approval/attention';

const failedFor = (activity: string, type: string, message: string) =>
  new ActivityFailure(
    'activity failed',
    activity,
    '1',
    'MAXIMUM_ATTEMPTS_REACHED',
    'worker',
    ApplicationFailure.create({ type, message, nonRetryable: true }),
  );

const writeBackPhase = { name: 'writeBack', outcome: 'approved' } as const;

it('asks for a retry or a resolve in Kingdee when the write-back itself failed', () => {
  const attention = attentionFor(
    failedFor('writeBack', 'KingdeePermissionError', '没有审核权限'),
    attentionTasks.writeBack('approved'),
    writeBackPhase,
  );
  expect(attention.action).toBe(attentionActions.writeBackFailed);
  expect(attention.reason).toBe('把审批结果（同意）写回金蝶失败：没有审核权限；已多次自动重试仍未成功');
});

it('asks about the delivery, not Kingdee, when the cards refreshed with the write-back failed', () => {
  const attention = attentionFor(
    failedFor('updateApprovalCards', 'DingTalkRequestError', 'card update refused'),
    attentionTasks.updateCards,
    writeBackPhase,
  );
  expect(attention.action).toBe(attentionActions.deliveryFailed);
  expect(attention.reason).toContain('更新审批卡片失败');
});
