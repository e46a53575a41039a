/**
 * The demo in a real browser, for end-to-end tests: the demo world (both emulators with the demo seeds, the example
 * rules) on a Kingdee account id of the test file's own, the real service against it on the run's shared Temporal dev
 * server, and a page of headless Chromium (test/helpers/browser.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../../common/logger';
import { loadSettings } from '../../config/env';
import { KingdeeClient } from '../../integrations/kingdee';
import { startDemo, type Demo } from '../../scripts/demo';
import { startService, type RunningService } from '../../workers/service';
import { launchBrowser } from './browser';
import { temporalAddress, uniqueTaskQueue, workerMetricsPort } from './temporal';

export interface DemoInBrowser {
  demo: Demo;
  service: RunningService;
  page: Page;
  /** The service's own task queue: its workflows among every test file's on the shared dev server. */
  taskQueue: string;
  /** Closes the browser, then stops the service and the demo. */
  stop(): Promise<void>;
}

/**
 * `name` begins the Kingdee account id and the task queue. Workflow ids derive from the account id, so two test files
 * running side by side on one Temporal server never start or signal each other's workflows.
 */
export async function startDemoInBrowser(name: string): Promise<DemoInBrowser> {
  const demo = await startDemo({ kingdee: 0, dingtalk: 0 }, { acctId: `${name}${randomUUID().slice(0, 8)}` });
  let service: RunningService | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    await service?.stop();
    await demo.stop();
  };
  try {
    const settings = loadSettings({
      ...demo.env,
      API_PORT: '0',
      WORKER_METRICS_PORT: await workerMetricsPort(),
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(name),
      LOG_LEVEL: 'silent',
    });
    service = await startService({
      settings,
      logger: createLogger({ level: 'silent' }),
      temporalAddress: temporalAddress(),
      workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
    });
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    return { demo, service, page, taskQueue: settings.temporal.taskQueue, stop };
  } catch (error) {
    // Whatever did start would outlive the test file and keep jest from exiting.
    await stop();
    throw error;
  }
}

/** A Kingdee client with the demo's credentials, to enter documents as someone working in Kingdee would. */
export function demoKingdeeClient(demo: Demo): KingdeeClient {
  return new KingdeeClient({
    baseUrl: demo.kingdee.baseUrl,
    acctId: demo.env.KINGDEE_ACCT_ID!,
    auth: {
      mode: 'appSecret',
      userName: demo.env.KINGDEE_USERNAME!,
      appId: demo.env.KINGDEE_APP_ID!,
      appSecret: demo.env.KINGDEE_APP_SECRET!,
    },
  });
}
