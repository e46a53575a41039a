/** Sending a push (deadline reminder, digest, report) to its recipients through the notice outboxes. */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Notice } from '../domain/texts';
import type { PushTarget } from './contract';

type Activities = ReturnType<typeof createActivities>;

/** Enqueues into the outbox (idempotent per activity id). */
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** The robot's group and/or the people (work notifications). */
export async function sendPush(target: PushTarget, notice: Notice): Promise<void> {
  if (target.robot) await notify.notifyGroup({ robot: target.robot, notice });
  if (target.users.length > 0) await notify.notifyUsers({ userIds: target.users, notice });
}
