/** The DingTalk emulator's seed file (documented in docs/dingtalk-emulator.md), parsed with zod. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const dingtalkSeedSchema = z.object({
  corpId: z.string(),
  apps: z
    .array(
      z.object({
        clientId: z.string(),
        clientSecret: z.string(),
        agentId: z.string(),
        robotCode: z.string(),
        /** How robot (bot) messages reach the app: over Stream, or POSTed to a URL (HTTP mode). */
        botCallback: z
          .union([z.object({ type: z.literal('STREAM') }), z.object({ type: z.literal('HTTP'), url: z.url() })])
          .default({ type: 'STREAM' }),
      }),
    )
    .min(1),
  departments: z
    .array(
      z.object({
        id: z.number().int(),
        name: z.string(),
        parentId: z.number().int().optional(),
        managerUserIds: z.array(z.string()).default([]),
      }),
    )
    .default([]),
  users: z.array(
    z.object({
      userId: z.string(),
      name: z.string(),
      mobile: z.string(),
      managerUserId: z.string().optional(),
      deptIds: z.array(z.number().int()).default([]),
      title: z.string().optional(),
    }),
  ),
  groups: z
    .array(
      z.object({ openConversationId: z.string(), name: z.string(), memberUserIds: z.array(z.string()).default([]) }),
    )
    .default([]),
  robots: z
    .array(z.object({ accessToken: z.string(), secret: z.string().optional(), groupId: z.string() }))
    .default([]),
  cardTemplates: z.array(z.string()).default([]),
  cardCallbackRoutes: z
    .array(z.object({ routeKey: z.string(), url: z.url(), apiSecret: z.string().optional() }))
    .default([]),
});
export type DingTalkSeed = z.infer<typeof dingtalkSeedSchema>;

export const demoDingTalkSeedPath = path.join(__dirname, 'seeds', 'demo.json');

export function loadDingTalkSeed(file: string = demoDingTalkSeedPath): DingTalkSeed {
  const parsed = dingtalkSeedSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `DingTalk emulator seed ${file} is invalid:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  return parsed.data;
}
