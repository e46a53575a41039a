/**
 * A document as an approval shows it, read with View and the form's profile: bill number, status, applicant (with
 * mobile, for mapping to DingTalk), amount and currency, purpose, organisation, department, lines.
 */
import { z } from 'zod';
import { documentStatuses, type DocumentStatus } from '../../domain/document';
import type { KingdeeClient } from './client';
import { KingdeeProtocolError, KingdeeValidationError } from './errors';
import { currencyCodes, formProfiles } from './forms';

export interface KingdeeDocument {
  formId: string;
  formName: string;
  billId: string;
  billNo: string;
  status: DocumentStatus;
  modifyDate: string;
  applicant: { name: string; mobile?: string; kingdeeId?: number };
  amount: number;
  currency: string;
  purpose: string;
  orgName?: string;
  deptName?: string;
  lines: Array<{ name: string; amount: number }>;
  /** 收款单位 / 供应商, when the form has one and the document names it. */
  counterparty?: { label: string; name: string };
  billDate?: string;
  /** Attachment count, when View reports one (the standard View does not: attachments are a separate form). */
  attachments?: number;
  /** Extra plain fields asked for by key (e.g. the rules' urgency field), as text; absent fields are left out. */
  extra?: Record<string, string>;
  /** Person fields by field key → mobile. */
  personMobiles: Record<string, string>;
}

const localised = z.union([z.string(), z.array(z.object({ Key: z.number(), Value: z.string().nullish() }))]);
const reference = z
  .object({ Id: z.union([z.number(), z.string()]).optional(), Number: z.string().nullish(), Name: localised.nullish() })
  .passthrough();
const viewSchema = z
  .object({
    Id: z.union([z.number(), z.string()]),
    BillNo: z.string(),
    DocumentStatus: z.enum(documentStatuses),
    ModifyDate: z.string().optional(),
    FModifyDate: z.string().optional(),
  })
  .passthrough();

const nameOf = (value: unknown): string | undefined => {
  const parsed = reference.safeParse(value);
  if (!parsed.success) return typeof value === 'string' ? value : undefined;
  const name = parsed.data.Name;
  if (typeof name === 'string') return name;
  return (name?.find((n) => n.Key === 2052) ?? name?.[0])?.Value ?? undefined;
};
const prop = (key: string) => (key.startsWith('F') ? key.slice(1) : key);

export async function readDocument(
  client: KingdeeClient,
  formId: string,
  target: { number: string } | { id: string },
  /** The applicant's mobile when already read (ingestion's query): then View is the only call. */
  known: { applicantMobile?: string } = {},
  /** Further fields to read from the same View (by field key), e.g. an urgency flag. */
  extraFields: readonly string[] = [],
): Promise<KingdeeDocument> {
  const profile = formProfiles[formId];
  if (!profile) throw new KingdeeValidationError(`表单 ${formId} 没有配置字段映射（integrations/kingdee/forms.ts）`);
  const raw = await client.view(formId, target);
  const parsed = viewSchema.safeParse(raw);
  if (!parsed.success)
    throw new KingdeeProtocolError(
      `View of ${formId} lacks Id, BillNo or DocumentStatus: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  const view = parsed.data as Record<string, unknown> & z.infer<typeof viewSchema>;
  const applicantRef = reference.safeParse(view[prop(profile.applicantField)]);
  const applicantId = applicantRef.success ? Number(applicantRef.data.Id) : undefined;
  const mobiles =
    applicantId && !known.applicantMobile
      ? await client.mobilesOf(profile.applicantKind, [applicantId])
      : new Map<number, string>();
  const applicantMobile = known.applicantMobile || (applicantId ? mobiles.get(applicantId) : undefined);
  const currencyNumber = reference.safeParse(view[prop(profile.currencyField)]).data?.Number ?? '';
  const entries = z.array(z.record(z.string(), z.unknown())).safeParse(view[profile.entryEntity]);
  const counterparty = profile.counterpartyField ? nameOf(view[prop(profile.counterpartyField)]) : undefined;
  const billDate = textOf(view[prop(profile.dateField)]);
  const attachmentCount = Number(view.AttachmentCount ?? view.FAttachmentCount ?? NaN);
  const extra: Record<string, string> = {};
  for (const key of extraFields) {
    const value = view[prop(key)] ?? view[key];
    const text = typeof value === 'boolean' ? String(value) : (nameOf(value) ?? textOf(value));
    if (text.trim() !== '') extra[key] = text.trim();
  }
  return {
    formId,
    formName: profile.name,
    billId: String(view.Id),
    billNo: view.BillNo,
    status: view.DocumentStatus,
    modifyDate: view.ModifyDate ?? view.FModifyDate ?? '',
    applicant: {
      name: nameOf(view[prop(profile.applicantField)]) ?? '（未知）',
      ...(applicantMobile ? { mobile: applicantMobile } : {}),
      ...(applicantId ? { kingdeeId: applicantId } : {}),
    },
    amount: Number(view[prop(profile.amountField)] ?? 0),
    currency: currencyCodes[currencyNumber] ?? (currencyNumber || 'CNY'),
    purpose: textOf(view[prop(profile.purposeField)]).trim(),
    ...(nameOf(view[prop(profile.orgField)]) ? { orgName: nameOf(view[prop(profile.orgField)]) } : {}),
    ...(profile.deptField && nameOf(view[prop(profile.deptField)])
      ? { deptName: nameOf(view[prop(profile.deptField)]) }
      : {}),
    lines: (entries.success ? entries.data : []).map((entry) => ({
      name: nameOf(entry[prop(profile.lineNameField)]) ?? '',
      amount: Number(entry[prop(profile.lineAmountField)] ?? 0),
    })),
    ...(counterparty && profile.counterpartyLabel
      ? { counterparty: { label: profile.counterpartyLabel, name: counterparty } }
      : {}),
    ...(billDate ? { billDate } : {}),
    ...(Number.isFinite(attachmentCount) ? { attachments: attachmentCount } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
    personMobiles: applicantMobile ? { [profile.applicantField]: applicantMobile } : {},
  };
}

/** A plain text field: strings as they are, numbers as digits, anything else (absent, a structure) as ''. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '';
}
