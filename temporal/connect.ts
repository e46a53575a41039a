/**
 * Connecting to Temporal at start-up: a bridge started while Temporal is down (a restart of both, Temporal still
 * recovering) waits and retries, saying so in the log, instead of dying.
 */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { silentLogger, type Logger } from '../common/logger';

export interface ConnectOptions {
  address: string;
  /** TLS and API key (config/client-settings.ts temporalConnectionOptions): Temporal Cloud or a TLS frontend. */
  tls?: ConnectionOptions['tls'];
  apiKey?: string;
  logger?: Logger;
  /** First wait between attempts; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Give up after this long (default: never). */
  giveUpAfterMs?: number;
  /** Stop waiting (shutdown while Temporal is still down). */
  signal?: AbortSignal;
}

/** A client connection that has answered once (GetSystemInfo); retried until Temporal is reachable. */
export async function connectWhenReachable(options: ConnectOptions): Promise<Connection> {
  const log = options.logger ?? silentLogger;
  const started = Date.now();
  let wait = options.retryMs ?? 500;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const connection = await Connection.connect({
        address: options.address,
        ...(options.tls !== undefined ? { tls: options.tls } : {}),
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        connectTimeout: 5_000,
      });
      try {
        await connection.withDeadline(Date.now() + 5_000, () => connection.workflowService.getSystemInfo({}));
      } catch (err) {
        await connection.close().catch(() => undefined);
        throw err;
      }
      if (attempt > 1)
        log.info({ address: options.address, waitedMs: Date.now() - started }, 'Temporal is reachable again');
      return connection;
    } catch (err) {
      const waited = Date.now() - started;
      if (options.signal?.aborted) throw err;
      if (options.giveUpAfterMs !== undefined && waited >= options.giveUpAfterMs) throw err;
      log.warn(
        { address: options.address, attempt, retryInMs: wait, err: err instanceof Error ? err.message : String(err) },
        `Temporal at ${options.address} is not reachable; waiting and retrying (start Temporal, or check TEMPORAL_ADDRESS${options.tls || options.apiKey ? ', TEMPORAL_API_KEY and TEMPORAL_TLS_*' : ''})`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      wait = Math.min(wait * 2, options.maxRetryMs ?? 10_000);
    }
  }
}

/** gRPC's connectivity state TRANSIENT_FAILURE: the channel's last attempt to connect failed. */
const transientFailure = 3;

/**
 * Whether the connection to Temporal is down now — its channel's last attempt to connect failed — told locally,
 * without a call (a call would wait out its deadline). False when it cannot be told: the channel not yet used, or
 * the SDK's internals changed (the client's gRPC channel is not public API), so callers behave as before.
 */
export function connectionDown(connection: unknown): boolean {
  const client = (connection as { client?: { getChannel?: () => unknown } } | undefined)?.client;
  const channel = typeof client?.getChannel === 'function' ? client.getChannel() : undefined;
  const state = (channel as { getConnectivityState?: (tryToConnect: boolean) => unknown } | undefined)
    ?.getConnectivityState;
  return typeof state === 'function' && state.call(channel, false) === transientFailure;
}
