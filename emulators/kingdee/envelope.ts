/**
 * Kingdee's wire shapes, shared by the protocol and the form operations: the request envelopes it accepts
 * (positional, named, legacy ApiClient), the `Result.ResponseStatus` envelope it answers with, and the error that
 * carries a MsgCode into that envelope.
 */

/** An operation refused the way Kingdee refuses it: an error envelope with this MsgCode and message. */
export class KingdeeFault extends Error {
  constructor(
    readonly msgCode: number,
    message: string,
  ) {
    super(message);
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

export function envelope(
  ok: boolean,
  msgCode: number,
  errors: string[],
  successes: unknown[] = [],
  extra: Record<string, unknown> = {},
) {
  return {
    Result: {
      ResponseStatus: {
        ErrorCode: ok ? '' : 500,
        IsSuccess: ok,
        Errors: errors.map((Message, DIndex) => ({ FieldName: null, Message, DIndex })),
        SuccessEntitys: successes,
        SuccessMessages: [],
        MsgCode: msgCode,
      },
      ...extra,
    },
  };
}
