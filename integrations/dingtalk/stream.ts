/**
 * Stream mode (a WebSocket out from us; no public URL needed) on DingTalk's official `dingtalk-stream` client.
 * The package hard-codes DingTalk's gateway URL; the subclass overrides only the method that opens the connection
 * so the configured URL is used (the emulator in tests and the demo, DingTalk in production).
 */
import axios from 'axios';
import { DWClient, TOPIC_CARD, TOPIC_ROBOT, type DWClientDownStream } from 'dingtalk-stream';
import { silentLogger, type Logger } from '../../common/logger';
import {
  botMessageSchema,
  cardCallbackSchema,
  isRepeatedBotMessage,
  ReplayGuard,
  toBotText,
  toCardClick,
  type BotTextMessage,
  type CardCallbackResponse,
  type CardClickPayload,
} from './callbacks';

class ConfigurableDWClient extends DWClient {
  constructor(
    options: { clientId: string; clientSecret: string },
    private readonly openConnectionUrl: string,
  ) {
    super({ ...options, keepAlive: false, debug: false });
  }

  override async getEndpoint(): Promise<this> {
    const response = await axios.post(
      this.openConnectionUrl,
      {
        clientId: this.config.clientId,
        clientSecret: this.config.clientSecret,
        ua: 'kingdee-dingtalk-bridge',
        subscriptions: this.config.subscriptions,
      },
      { headers: { Accept: 'application/json' }, timeout: 10_000 },
    );
    const { endpoint, ticket } = (response.data ?? {}) as { endpoint?: string; ticket?: string };
    if (!endpoint || !ticket)
      throw new Error(
        `DingTalk Stream gateway answered without endpoint/ticket: ${JSON.stringify(response.data).slice(0, 120)}`,
      );
    this.config.endpoint = endpoint;
    (this as unknown as { dw_url: string }).dw_url = `${endpoint}?ticket=${encodeURIComponent(ticket)}`;
    return this;
  }

  /** EVENT frames handled asynchronously, ACKed when handled (the package ACKs at once with a sync answer). */
  eventHandler?: (message: DWClientDownStream) => Promise<'SUCCESS' | 'LATER'>;
  override onEvent(message: DWClientDownStream): void {
    if (!this.eventHandler) return super.onEvent(message);
    const handler = this.eventHandler;
    void (async () => {
      const status = await handler(message).catch(() => 'LATER' as const);
      this.send(message.headers.messageId, { status, message: status === 'SUCCESS' ? 'OK' : 'retry later' });
    })();
  }
}

/** An EVENT frame (reference §6.2, §6.7): type from the headers, the business fields from `data`. */
export interface StreamEvent {
  eventType: string;
  eventId?: string;
  data: Record<string, unknown>;
}

export interface StreamListener {
  stop(): Promise<void>;
  connected(): boolean;
}

/** Frames larger than this are dropped unread (no DingTalk callback comes near it; the HTTP API allows 256 KB). */
export const maxStreamFrameChars = 256 * 1024;

/** A frame's `data` as JSON, or undefined (with a warning) when it is too large or not JSON. */
function frameJson(data: unknown, log: Logger, what: string): unknown {
  if (typeof data !== 'string' || data.length > maxStreamFrameChars) {
    log.warn({ chars: typeof data === 'string' ? data.length : typeof data }, `${what} frame dropped: too large`);
    return undefined;
  }
  try {
    return JSON.parse(data) as unknown;
  } catch {
    log.warn(`${what} frame dropped: data is not JSON`);
    return undefined;
  }
}

export async function startStreamListener(options: {
  clientId: string;
  clientSecret: string;
  openConnectionUrl: string;
  onCardCallback: (click: CardClickPayload) => Promise<CardCallbackResponse>;
  onBotMessage: (message: BotTextMessage) => Promise<void>;
  /** EVENT frames (e.g. bpms_instance_change); LATER (or a throw) asks DingTalk to deliver it again. */
  onEvent?: (event: StreamEvent) => Promise<'SUCCESS' | 'LATER'>;
  /** What was already received (the service's is durable: the same message is acted on once, across restarts). */
  replayGuard?: ReplayGuard;
  logger?: Logger;
}): Promise<StreamListener> {
  const log = options.logger ?? silentLogger;
  const guard = options.replayGuard ?? new ReplayGuard();
  const client = new ConfigurableDWClient(
    { clientId: options.clientId, clientSecret: options.clientSecret },
    options.openConnectionUrl,
  );
  // The package logs to the console on every (re)connect; keep our logs structured instead.
  const quiet = { info: console.info, warn: console.warn };
  console.info = () => undefined;

  client.registerCallbackListener(TOPIC_CARD, (message: DWClientDownStream) => {
    void (async () => {
      const messageId = message.headers.messageId;
      try {
        const payload = cardCallbackSchema.safeParse(frameJson(message.data, log, 'card callback'));
        if (!payload.success) {
          log.warn({ issues: payload.error.issues.slice(0, 5) }, 'malformed card callback frame');
          client.socketCallBackResponse(messageId, {});
          return;
        }
        // A frame delivered again (same messageId) is answered, never acted on twice.
        if (messageId && !(await guard.claim(`stream:${messageId.slice(0, 128)}`))) {
          log.warn({ messageId }, 'card callback frame received before: ignored');
          client.socketCallBackResponse(messageId, {});
          return;
        }
        const click = toCardClick(payload.data, message.headers.time);
        client.socketCallBackResponse(messageId, await options.onCardCallback(click));
      } catch (err) {
        log.error({ err }, 'card callback handling failed');
        client.socketCallBackResponse(messageId, {});
      }
    })();
  });
  client.registerCallbackListener(TOPIC_ROBOT, (message: DWClientDownStream) => {
    void (async () => {
      // Robot messages are fire-and-forget on DingTalk's side: acknowledge at once, then handle.
      client.socketCallBackResponse(message.headers.messageId, null);
      try {
        const parsed = botMessageSchema.safeParse(frameJson(message.data, log, 'robot message'));
        if (!parsed.success)
          return void log.warn({ issues: parsed.error.issues.slice(0, 5) }, 'malformed robot message frame');
        if (await isRepeatedBotMessage(guard, parsed.data))
          return void log.warn({ msgId: parsed.data.msgId }, 'robot message received before: ignored');
        const text = toBotText(parsed.data);
        if (text) await options.onBotMessage(text);
      } catch (err) {
        log.error({ err }, 'robot message handling failed');
      }
    })();
  });
  client.registerAllEventListener(() => ({ status: 'SUCCESS' as never }));
  const onEvent = options.onEvent;
  if (onEvent)
    client.eventHandler = async (message) => {
      const data = frameJson(message.data, log, 'event');
      const headers = message.headers as DWClientDownStream['headers'] & { eventType?: string; eventId?: string };
      if (typeof data !== 'object' || data === null || Array.isArray(data) || !headers.eventType) return 'SUCCESS';
      return onEvent({
        eventType: headers.eventType,
        ...(headers.eventId ? { eventId: headers.eventId } : {}),
        data: data as Record<string, unknown>,
      }).catch((err: unknown) => {
        log.error({ err, eventType: headers.eventType }, 'event handling failed: DingTalk will deliver it again');
        return 'LATER' as const;
      });
    };
  await client.connect();
  return {
    connected: () => client.connected,
    stop: async () => {
      client.disconnect();
      console.info = quiet.info;
    },
  };
}
