/**
 * What can go wrong talking to Kingdee, classified once at the client boundary: `retryable` says whether trying
 * again later can help (Temporal retries activities on those). Kingdee's own messages are kept verbatim.
 */
export class KingdeeError extends Error {
  override name = 'KingdeeError';
  readonly retryable: boolean = false;
  constructor(
    message: string,
    /** Kingdee's MsgCode, HTTP status or our own code. */
    readonly code?: number | string,
    /** Kingdee's own messages, unchanged (Chinese intact). */
    readonly kingdeeMessages: string[] = [],
  ) {
    super(message);
  }
}

/** Network failure, timeout, dropped connection. */
export class KingdeeNetworkError extends KingdeeError {
  override name = 'KingdeeNetworkError';
  override readonly retryable = true;
}
/** HTTP 5xx or `response_error:` from the server. */
export class KingdeeServerError extends KingdeeError {
  override name = 'KingdeeServerError';
  override readonly retryable = true;
}
/** MsgCode 1 in cookie mode after the one re-login already failed. */
export class KingdeeSessionLostError extends KingdeeError {
  override name = 'KingdeeSessionLostError';
  override readonly retryable = true;
}
/** 网控 / edit lock (MsgCode 13) or call limit (14): someone else holds the document; try again shortly. */
export class KingdeeLockedError extends KingdeeError {
  override name = 'KingdeeLockedError';
  override readonly retryable = true;
}
export class KingdeePermissionError extends KingdeeError {
  override name = 'KingdeePermissionError';
}
/** Validation or wrong state (MsgCode 11, 12), bad parameters, unknown fields or FormId. */
export class KingdeeValidationError extends KingdeeError {
  override name = 'KingdeeValidationError';
}
export class KingdeeNotFoundError extends KingdeeError {
  override name = 'KingdeeNotFoundError';
}
/** Wrong credentials or site set-up (whitelist, app binding, data centre id). */
export class KingdeeAuthError extends KingdeeError {
  override name = 'KingdeeAuthError';
}
/** The server refused our timestamp: our clock and Kingdee's disagree. */
export class KingdeeClockSkewError extends KingdeeAuthError {
  override name = 'KingdeeClockSkewError';
  constructor(
    message: string,
    /** Our clock minus the server's (from its Date header), in ms. */
    readonly offsetMs: number | undefined,
    code?: number | string,
  ) {
    super(message, code);
  }
}
/** The answer was not what Kingdee sends (HTML error page, truncated JSON, unexpected shape). */
export class KingdeeProtocolError extends KingdeeError {
  override name = 'KingdeeProtocolError';
  override readonly retryable = true;
}
