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
}

export interface StreamListener {
  stop(): Promise<void>;
  connected(): boolean;
}

export async function startStreamListener(options: {
  clientId: string;
  clientSecret: string;
  openConnectionUrl: string;
  onCardCallback: (click: CardClickPayload) => Promise<CardCallbackResponse>;
  onBotMessage: (message: BotTextMessage) => Promise<void>;
  logger?: Logger;
}): Promise<StreamListener> {
  const log = options.logger ?? silentLogger;
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
        const payload = cardCallbackSchema.safeParse(JSON.parse(message.data));
        if (!payload.success) {
          log.warn({ issues: payload.error.issues }, 'malformed card callback frame');
          client.socketCallBackResponse(messageId, {});
          return;
        }
        client.socketCallBackResponse(messageId, await options.onCardCallback(toCardClick(payload.data)));
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
        const parsed = botMessageSchema.safeParse(JSON.parse(message.data));
        if (!parsed.success) return void log.warn({ issues: parsed.error.issues }, 'malformed robot message frame');
        const text = toBotText(parsed.data);
        if (text) await options.onBotMessage(text);
      } catch (err) {
        log.error({ err }, 'robot message handling failed');
      }
    })();
  });
  client.registerAllEventListener(() => ({ status: 'SUCCESS' as never }));
  await client.connect();
  return {
    connected: () => client.connected,
    stop: async () => {
      client.disconnect();
      console.info = quiet.info;
    },
  };
}
