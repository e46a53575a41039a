/**
 * A throttled or failing token endpoint is retryable, never "bad credentials": an approval must not be parked as a
 * configuration problem because DingTalk was busy for a moment (found by the drill's DingTalk storm).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DingTalkAuthError,
  DingTalkClient,
  DingTalkRateLimitedError,
  DingTalkServerError,
} from '../../integrations/dingtalk';

let status = 200;
let body: unknown = {};
const server = http.createServer((_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = () =>
  new DingTalkClient({ apiBaseUrl: baseUrl, oapiBaseUrl: baseUrl, clientId: 'id', clientSecret: 'secret' });

it('reports a throttled token request as rate limited', async () => {
  status = 429;
  body = { code: 'Forbidden.AccessDenied.QpsLimitForApi', message: 'qps limit' };
  await expect(client().getAccessToken()).rejects.toBeInstanceOf(DingTalkRateLimitedError);
});

it('reports a failing token endpoint as a server error', async () => {
  status = 503;
  body = { code: 'ServiceUnavailable', message: 'busy' };
  await expect(client().getAccessToken()).rejects.toBeInstanceOf(DingTalkServerError);
});

it('still reports refused credentials as an auth error', async () => {
  status = 400;
  body = { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' };
  await expect(client().getAccessToken()).rejects.toBeInstanceOf(DingTalkAuthError);
});
