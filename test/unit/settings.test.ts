/**
 * The settings of the "Go live" work: the card template ids (required with real DingTalk, the demo's seeded ids in
 * the demo), HTTP callback mode's requirements, ROLE and WORKER_METRICS_HOST, and Temporal Cloud / TLS by Temporal's
 * environment-configuration names — parsed (config/env.ts) and turned into the connection options every Temporal
 * connection uses (config/client-settings.ts). No Temporal, no network.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientSettings, temporalConnectionOptions, temporalSecurity } from '../../config/client-settings';
import { ConfigError, loadSettings } from '../../config/env';
import { approvalCardTemplateId } from '../../domain/texts';
import { noticeCardTemplateId } from '../../domain/texts/merged-notices';

/** A complete real-mode environment (stream mode). */
const real: NodeJS.ProcessEnv = {
  KINGDEE_BASE_URL: 'https://site.ik3cloud.com/k3cloud',
  KINGDEE_ACCT_ID: '5db25ac8d2b819',
  KINGDEE_USERNAME: 'kdb-dingtalk',
  KINGDEE_APP_ID: '100001_x',
  KINGDEE_APP_SECRET: 'secret',
  DINGTALK_CLIENT_ID: 'dingxxxx',
  DINGTALK_CLIENT_SECRET: 'dsecret',
  DINGTALK_AGENT_ID: '3000001234',
  DINGTALK_CARD_TEMPLATE_ID: '11111111-2222-3333-4444-555555555555.schema',
  ADMIN_TOKEN: 'admin',
};
const without = (env: NodeJS.ProcessEnv, ...keys: string[]) =>
  Object.fromEntries(Object.entries(env).filter(([key]) => !keys.includes(key)));
const errorOf = (env: NodeJS.ProcessEnv): string => {
  try {
    loadSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('card templates', () => {
  it('requires DINGTALK_CARD_TEMPLATE_ID with real DingTalk, saying what it is', () => {
    const message = errorOf(without(real, 'DINGTALK_CARD_TEMPLATE_ID'));
    expect(message).toContain('DINGTALK_CARD_TEMPLATE_ID: the approval card template id');
    expect(message).toContain('docs/dingtalk-card-template.md');
  });

  it('uses the configured ids with real DingTalk and hands them to the clients', () => {
    const settings = loadSettings({ ...real, DINGTALK_NOTICE_CARD_TEMPLATE_ID: 'notice-1.schema' });
    expect(settings.cardTemplates).toEqual({ approval: real.DINGTALK_CARD_TEMPLATE_ID, notice: 'notice-1.schema' });
    expect(clientSettings(settings).cardTemplates).toEqual(settings.cardTemplates);
    expect(loadSettings(real).cardTemplates.notice).toBeUndefined();
  });

  it('keeps the seeded ids in the demo, whatever is set', () => {
    const demo = loadSettings({ DINGTALK_CARD_TEMPLATE_ID: 'tenant.schema', DEMO: 'on' });
    expect(demo.cardTemplates).toEqual({ approval: 'kdb-approval-card', notice: 'kdb-notice-card' });
    expect(demo.cardTemplates).toEqual({ approval: approvalCardTemplateId, notice: noticeCardTemplateId });
  });
});

describe('HTTP callback mode', () => {
  it('requires PUBLIC_BASE_URL and the card callback secret', () => {
    const message = errorOf({ ...real, DINGTALK_CALLBACK_MODE: 'http' });
    expect(message).toContain('PUBLIC_BASE_URL: DingTalk must reach the card-callback URL');
    expect(message).toContain(
      'DINGTALK_CARD_CALLBACK_SECRET: the apiSecret the card callback route is registered with',
    );
  });

  it('derives the callback URL the route is registered to', () => {
    const settings = loadSettings({
      ...real,
      DINGTALK_CALLBACK_MODE: 'http',
      PUBLIC_BASE_URL: 'https://bridge.example.com/',
      DINGTALK_CARD_CALLBACK_SECRET: 'route-secret',
    });
    const clients = clientSettings(settings);
    expect(clients.cardCallbackUrl).toBe('https://bridge.example.com/dingtalk/card-callback');
    expect([clients.cardRouteKey, clients.cardCallbackSecret]).toEqual(['kdb-approval', 'route-secret']);
  });
});

describe('ROLE and WORKER_METRICS_HOST', () => {
  it('defaults to all and loopback, and takes worker / api and 0.0.0.0', () => {
    expect(loadSettings(real)).toMatchObject({ role: 'all', temporal: { workerMetricsHost: '127.0.0.1' } });
    expect(loadSettings({ ...real, ROLE: 'worker', WORKER_METRICS_HOST: '0.0.0.0' })).toMatchObject({
      role: 'worker',
      temporal: { workerMetricsHost: '0.0.0.0', workerMetricsPort: 9464 },
    });
  });

  it('refuses an unknown role', () => {
    expect(errorOf({ ...real, ROLE: 'poller' })).toContain('ROLE');
  });
});

describe('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', () => {
  const slots = (env: Record<string, string>) => loadSettings({ ...real, ...env }).temporal.worker;
  it('leaves 6 slots beyond the planning window for decisions unless set', () => {
    expect(slots({})).toMatchObject({ planningWindow: 10, maxConcurrentWorkflowTasks: 16 });
    expect(slots({ WORKER_PLANNING_WINDOW: '20' })).toMatchObject({ maxConcurrentWorkflowTasks: 26 });
    expect(slots({ WORKER_PLANNING_WINDOW: '0' })).toMatchObject({ maxConcurrentWorkflowTasks: 6 });
    expect(slots({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8' })).toMatchObject({ maxConcurrentWorkflowTasks: 8 });
  });

  it('refuses fewer than 2', () => {
    expect(errorOf({ ...real, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toContain(
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
    );
  });
});

describe('Temporal Cloud and TLS', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kdb-tls-'));
    writeFileSync(path.join(dir, 'client.pem'), '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
    writeFileSync(path.join(dir, 'client.key'), '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
    writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cloud = {
    ...real,
    TEMPORAL_ADDRESS: 'bridge-prod.a1b2c.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'bridge-prod.a1b2c',
  };
  const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

  it('connects in plaintext without any TLS setting (the local dev server, a plain frontend)', () => {
    const options = temporalConnectionOptions(loadSettings(real), '127.0.0.1:7233');
    expect(options).toEqual({ address: '127.0.0.1:7233' });
    expect(temporalSecurity(options)).toBe('plaintext');
  });

  it('turns TLS on with an API key (Temporal Cloud), as Temporal’s environment configuration does', () => {
    const settings = loadSettings({ ...cloud, TEMPORAL_API_KEY: 'eyJkey' });
    const options = temporalConnectionOptions(settings, settings.temporal.address!);
    expect(options).toEqual({ address: 'bridge-prod.a1b2c.tmprl.cloud:7233', apiKey: 'eyJkey', tls: true });
    expect(temporalSecurity(options)).toBe('TLS, API key');
    expect(settings.temporal.namespace).toBe('bridge-prod.a1b2c');
  });

  it('builds mTLS from certificate and key files, with a server CA and a server name override', () => {
    const settings = loadSettings({
      ...cloud,
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const options = temporalConnectionOptions(settings, settings.temporal.address!);
    const tls = options.tls;
    if (typeof tls !== 'object') throw new Error('expected a TLS config');
    expect(text(tls.clientCertPair?.crt)).toContain('client');
    expect(text(tls.clientCertPair?.key)).toContain('PRIVATE KEY');
    expect(text(tls.serverRootCACertificate)).toContain('ca');
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(options.apiKey).toBeUndefined();
    expect(temporalSecurity(options)).toBe('mTLS, server name temporal.internal, own server CA');
  });

  it('takes certificates as PEM text too (…_DATA), and TEMPORAL_TLS=true alone for system roots', () => {
    const settings = loadSettings({
      ...cloud,
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT-PEM',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY-PEM',
    });
    const tls = temporalConnectionOptions(settings, 'x:7233').tls;
    if (typeof tls !== 'object') throw new Error('expected a TLS config');
    expect([text(tls.clientCertPair?.crt), text(tls.clientCertPair?.key)]).toEqual(['CERT-PEM', 'KEY-PEM']);
    const plainTls = temporalConnectionOptions(loadSettings({ ...cloud, TEMPORAL_TLS: 'true' }), 'x:7233').tls;
    expect(plainTls).toEqual(expect.objectContaining({ clientCertPair: undefined }));
  });

  it('keeps TLS off with TEMPORAL_TLS=false and an API key (a plaintext frontend behind a proxy)', () => {
    const settings = loadSettings({ ...cloud, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' });
    expect(temporalConnectionOptions(settings, 'x:7233')).toEqual({ address: 'x:7233', apiKey: 'k', tls: false });
  });

  it('refuses contradictions, naming each variable', () => {
    expect(errorOf({ ...cloud, TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toContain(
      'TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS needs the client key with the certificate',
    );
    expect(
      errorOf({
        ...cloud,
        TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem',
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'x',
        TEMPORAL_TLS_CLIENT_KEY_DATA: 'k',
      }),
    ).toContain('set either TEMPORAL_TLS_CLIENT_CERT_PATH or TEMPORAL_TLS_CLIENT_CERT_DATA, not both');
    expect(errorOf({ ...cloud, TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_NAME: 'n' })).toContain(
      'TEMPORAL_TLS: is false',
    );
    expect(errorOf({ ...cloud, TEMPORAL_TLS: 'maybe' })).toContain('TEMPORAL_TLS');
    expect(errorOf({ ...real, TEMPORAL_API_KEY: 'k' })).toContain(
      'TEMPORAL_ADDRESS: TEMPORAL_API_KEY are for an external Temporal',
    );
  });

  it('says which certificate file cannot be read', () => {
    const settings = loadSettings({
      ...cloud,
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
    });
    expect(() => temporalConnectionOptions(settings, 'x:7233')).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read .*missing\.pem/,
    );
  });
});
