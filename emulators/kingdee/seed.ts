/** The emulator's seed file (documented in docs/kingdee-emulator.md), parsed with zod. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const ref = z.object({ id: z.number().int(), number: z.string().optional(), name: z.string() });
const value = z.union([z.string(), z.number(), z.boolean(), z.null(), ref]);
/** A base-data record: id, code and name, plus any further queryable fields (e.g. `"FCODE": "CNY"`). */
const baseRecord = z
  .object({ id: z.number().int(), number: z.string(), name: z.string() })
  .catchall(z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const seedSchema = z.object({
  accounts: z
    .array(
      z.object({
        acctId: z.string(),
        name: z.string(),
        /** 数据中心编码, as GetDataCenterList reports it (default: 001, 002, … in seed order). */
        number: z.string().optional(),
        utcOffsetMinutes: z.number().int().default(480),
      }),
    )
    .min(1),
  users: z.array(
    z.object({
      id: z.number().int(),
      userName: z.string(),
      name: z.string(),
      mobile: z.string().optional(),
      password: z.string().optional(),
      /** Forms this user may not touch (permission denied), e.g. ["AP_PAYBILL"]. */
      deniedForms: z.array(z.string()).default([]),
    }),
  ),
  apps: z.array(z.object({ appId: z.string(), appSecret: z.string(), userName: z.string() })).default([]),
  employees: z
    .array(z.object({ id: z.number().int(), number: z.string(), name: z.string(), mobile: z.string().optional() }))
    .default([]),
  /** Base data by FormId (BD_Department, ORG_Organizations, BD_Currency, BD_Expense, …; see metadata.ts). */
  baseData: z.record(z.string(), z.array(baseRecord)).default({}),
  documents: z.array(
    z.object({
      formId: z.string(),
      billNo: z.string(),
      id: z.number().int().optional(),
      status: z.enum(['Z', 'A', 'B', 'C', 'D']).default('A'),
      /** Runs Kingdee's own workflow: a plain Audit is refused, WorkflowAudit is needed. */
      workflowBound: z.boolean().default(false),
      fields: z.record(z.string(), value).default({}),
      entries: z.array(z.record(z.string(), value)).default([]),
    }),
  ),
});
export type Seed = z.infer<typeof seedSchema>;
export type SeedDocument = Seed['documents'][number];
export type FieldValue = z.infer<typeof value>;
export type Reference = z.infer<typeof ref>;
export type BaseRecord = z.infer<typeof baseRecord>;

export const demoSeedPath = path.join(__dirname, 'seeds', 'demo.json');

export function loadSeed(file: string = demoSeedPath): Seed {
  const parsed = seedSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Kingdee emulator seed ${file} is invalid:\n${problems}`);
  }
  return parsed.data;
}
