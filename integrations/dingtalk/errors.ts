/** What can go wrong talking to DingTalk, classified once: `retryable` says whether trying again can help. */
export class DingTalkError extends Error {
  override name = 'DingTalkError';
  readonly retryable: boolean = false;
  constructor(
    message: string,
    /** DingTalk's errcode / code. */
    readonly code?: number | string,
  ) {
    super(message);
  }
}
export class DingTalkNetworkError extends DingTalkError {
  override name = 'DingTalkNetworkError';
  override readonly retryable = true;
}
export class DingTalkServerError extends DingTalkError {
  override name = 'DingTalkServerError';
  override readonly retryable = true;
}
export class DingTalkRateLimitedError extends DingTalkError {
  override name = 'DingTalkRateLimitedError';
  override readonly retryable = true;
}
/** Wrong app credentials, a token DingTalk keeps refusing, missing permission scopes. */
export class DingTalkAuthError extends DingTalkError {
  override name = 'DingTalkAuthError';
}
/** Bad parameters, unknown user or template, configuration problems. */
export class DingTalkRequestError extends DingTalkError {
  override name = 'DingTalkRequestError';
}
/** A card reached DingTalk but was not delivered to a space (e.g. the user is not in the org). */
export class DingTalkDeliveryError extends DingTalkError {
  override name = 'DingTalkDeliveryError';
}
/** A send without idempotency key timed out: it may have been delivered. Resending could post it twice. */
export class DingTalkUncertainDeliveryError extends DingTalkError {
  override name = 'DingTalkUncertainDeliveryError';
}
