/**
 * Kingdee's wire shapes, shared by the protocol and the form operations: the request envelopes it accepts
 * (positional, named, legacy ApiClient), the `Result.ResponseStatus` envelope it answers with, and the error that
 * carries a MsgCode into that envelope.
 */

/** One entry of `ResponseStatus.Errors`: the message, and the field key it is about when there is one. */
export interface KingdeeErrorItem {
  FieldName: string | null;
  Message: string;
  /** Which bill of the request (Numbers / Model order) it is about; default: its position in the list. */
  DIndex?: number;
}

/** An operation refused the way Kingdee refuses it: an error envelope with this MsgCode and message(s). */
export class KingdeeFault extends Error {
  readonly errors: KingdeeErrorItem[];

  constructor(
    readonly msgCode: number,
    message: string,
    errors?: KingdeeErrorItem[],
  ) {
    super(message);
    this.errors = errors ?? [{ FieldName: null, Message: message }];
  }
}

/** Accepts the positional, named and legacy ApiClient envelopes; returns the positional array or the named object. */
export function parseEnvelope(body: string): unknown {
  const parsed = JSON.parse(body || '{}') as Record<string, unknown> | unknown[];
  if (Array.isArray(parsed)) return parsed;
  if (typeof parsed.parameters === 'string') return JSON.parse(parsed.parameters) as unknown;
  if (Array.isArray(parsed.parameters)) return parsed.parameters;
  return parsed;
}

export function lowerKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k.toLowerCase(), v]));
}

/** `Result.ResponseStatus` as Kingdee writes it (errors as text, or with the field they are about). */
export function responseStatus(
  ok: boolean,
  msgCode: number,
  errors: Array<string | KingdeeErrorItem>,
  successes: unknown[] = [],
  messages: Array<string | KingdeeErrorItem> = [],
) {
  const items = (list: Array<string | KingdeeErrorItem>) =>
    list.map((e, DIndex) => (typeof e === 'string' ? { FieldName: null, Message: e, DIndex } : { DIndex, ...e }));
  return {
    ErrorCode: ok ? '' : 500,
    IsSuccess: ok,
    Errors: items(errors),
    SuccessEntitys: successes,
    SuccessMessages: items(messages),
    MsgCode: msgCode,
  };
}

export function envelope(
  ok: boolean,
  msgCode: number,
  errors: Array<string | KingdeeErrorItem>,
  successes: unknown[] = [],
  extra: Record<string, unknown> = {},
) {
  return { Result: { ResponseStatus: responseStatus(ok, msgCode, errors, successes), ...extra } };
}
