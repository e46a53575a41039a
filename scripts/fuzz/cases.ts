/**
 * Fuzz inputs for every public endpoint and the Stream path, from a seeded generator (the same seed gives the same
 * inputs). Every input is bad in some way — malformed JSON, wrong types, missing fields, 1–10 MB bodies, deep
 * nesting, unicode edge cases, `__proto__`/`constructor` keys, path traversal in ids, very long bill numbers, bad
 * signatures — or, where it is well-formed and correctly signed, comes from someone who may not act (an applicant,
 * an unknown user), so nothing it asks for may happen. The only well-formed pushes are hints for the polled form,
 * which make the poller read Kingdee again (and find nothing new).
 *
 * Longer than the ~500-line guide: a catalogue of input generators, one per kind of bad input.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { DingTalkCallbackCrypto } from '../../integrations/dingtalk/callback-crypto';
import { signPush } from '../../api/kingdee-push';
import { fuzzSecrets } from './world';

export type FuzzCase =
  | {
      kind: 'http';
      endpoint: string;
      method: string;
      path: string;
      headers: Record<string, string>;
      body?: string | Buffer;
    }
  | { kind: 'stream'; endpoint: string; topic: string; data: unknown };

export interface CaseContext {
  acctId: string;
  approvalId: string;
  /** A base URL that answers nothing useful (for robot session webhooks): the DingTalk emulator. */
  dingtalkBaseUrl: string;
}

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) as the bytes it would have in CESU-8. */
function enc(text: string): string {
  return [...text]
    .map((ch) => {
      try {
        return encodeURIComponent(ch);
      } catch {
        return '%ED%A0%80';
      }
    })
    .join('');
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nastyStrings = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\udfff',
  'a\ud800b\udc00c',
  '\u202eFYBX000123\u202c',
  '\u200b\u200c\u200d\ufeff',
  '同意\u200b',
  '😀👨‍👩‍👧‍👦🏳️‍🌈',
  '𠮷野家',
  'ﷺ'.repeat(50),
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '/etc/passwd\u0000.json',
  '__proto__',
  'constructor',
  'prototype',
  '${jndi:ldap://127.0.0.1/x}',
  "' OR 1=1 --",
  'KingdeeBillNo = "x" OR WorkflowId != ""',
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  'NaN',
  '-1',
  '1e309',
  'null',
  'approval:x:y:z',
  'A'.repeat(81),
  'B'.repeat(4_000),
  'C'.repeat(70_000),
  '同意',
  '驳回 FYBX000123',
  '同意 FYBX000123 ' + '很'.repeat(3_000),
  '转交 FYBX000123 lisi',
  '加签 FYBX000123 wangwu',
];

const nastyValues: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  {},
  [[]],
  [1, 'a', null],
  { a: { b: { c: {} } } },
  { $gt: '' },
  Array.from({ length: 2_000 }, (_, i) => i),
];

export function createCaseGenerator(seed: number, ctx: CaseContext) {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => random() < p;
  let clock = Date.now() - 30 * 60_000; // unique timestamps inside every window, for signed requests
  const nextTs = () => String((clock += 3));
  const eventCrypto = new DingTalkCallbackCrypto(fuzzSecrets.eventToken, fuzzSecrets.eventAesKey, fuzzSecrets.clientId);
  const nobodies = ['zhangsan', 'wangwu', 'nobody', 'cfo-zhou', ...nastyStrings.slice(0, 20)];

  const nastyString = () => pick(nastyStrings);
  const nastyValue = (): unknown => (chance(0.5) ? nastyString() : pick(nastyValues));
  /** Object keys that must never reach a prototype: written into raw JSON (a JS literal would set the prototype). */
  const protoKey = () => pick(['__proto__', 'constructor', 'prototype']);

  /** JSON text of the value, mutated in one of many ways. */
  function mutate(template: Record<string, unknown>): string {
    const value: Record<string, unknown> = { ...template };
    const keys = Object.keys(value);
    switch (int(14)) {
      case 0: // a field missing
        delete value[pick(keys)];
        return JSON.stringify(value);
      case 1: // a field of the wrong type or an odd text
        value[pick(keys)] = nastyValue();
        return JSON.stringify(value);
      case 2: // several fields odd at once
        for (const key of keys) if (chance(0.5)) value[key] = nastyValue();
        return JSON.stringify(value);
      case 3: {
        // __proto__ / constructor keys, at the top and nested
        const key = protoKey();
        const text = JSON.stringify(value);
        return `{"${key}":{"polluted":true,"workflowId":"x","isAdmin":true},${text.slice(1, -1)}${
          chance(0.5) ? `,"nested":{"${protoKey()}":{"toString":"x"}}` : ''
        }}`;
      }
      case 4: // malformed JSON
        return pick([
          JSON.stringify(value).slice(0, -1 - int(5)),
          `${JSON.stringify(value)},`,
          `{'a': 1}`,
          '{"a":NaN}',
          '\ufeff{"a":1}',
          '{"a":"\\ud800"',
          '{"a":1,}',
          '[',
          'null',
          '"just a string"',
          '12345',
          '{"a":"\\x41"}',
          '{"a" 1}',
          '\u0000',
        ]);
      case 5: // deep nesting
        return pick([
          `${'['.repeat(5_000 + int(50_000))}${']'.repeat(5_000)}`,
          `{"a":${'{"a":'.repeat(2_000 + int(20_000))}1${'}'.repeat(2_000)}}`,
          JSON.stringify({ ...value, [pick(keys)]: nest(200 + int(3_000)) }),
        ]);
      case 6: // the whole body of the wrong shape
        return JSON.stringify(pick([[value], nastyValue(), [], { data: value }]));
      case 7: // unicode edge cases everywhere
        for (const key of keys) if (typeof value[key] === 'string' && chance(0.6)) value[key] = uni(String(value[key]));
        return JSON.stringify(value);
      case 8: // a very long text in one field (under the body limit)
        value[pick(keys)] = pick(['F', '很', '😀']).repeat(10_000 + int(60_000));
        return JSON.stringify(value);
      case 9: // extra fields
        return JSON.stringify({ ...value, [nastyString().slice(0, 40) || 'x']: nastyValue(), extra: nest(5) });
      case 10: // escaped lone surrogates and control characters in JSON text
        return JSON.stringify(value).replace(/"([^"]{0,20})"/, '"$1\\ud800\\u0000\\u202e"');
      case 11: // duplicated keys: the last wins in JSON.parse
        return `${JSON.stringify(value).slice(0, -1)},"${pick(keys)}":${JSON.stringify(nastyValue())}}`;
      case 12: // numbers where texts go and texts where numbers go
        for (const key of keys) value[key] = typeof value[key] === 'string' ? int(1e9) : String(value[key]);
        return JSON.stringify(value);
      default:
        return JSON.stringify(value);
    }
  }
  function nest(depth: number): unknown {
    let v: unknown = 'deep';
    for (let i = 0; i < depth; i++) v = chance(0.5) ? [v] : { a: v };
    return v;
  }
  function uni(text: string): string {
    const marks = ['\ud800', '\udfff', '\u202e', '\u200b', '\ufeff', '😀', '\u0000', '\u0301', '\uffff'];
    const at = int(text.length + 1);
    return text.slice(0, at) + pick(marks) + text.slice(at);
  }
  /** A 1–10 MB body (a few only: they are refused by size before they are read). */
  function hugeBody(): string {
    const size = (1 + int(10)) * 1024 * 1024;
    return chance(0.5) ? `{"a":"${'x'.repeat(size)}"}` : `[${'1,'.repeat(size / 2)}1]`;
  }
  const json = { 'Content-Type': 'application/json' };
  /** A body and its content type: mostly JSON, sometimes another type or a huge body. */
  function body(template: Record<string, unknown>): { body: string; type: string } {
    if (chance(0.004)) return { body: hugeBody(), type: 'application/json' };
    const type = chance(0.08)
      ? pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'application/json; charset=klingon',
          'application/xml',
        ])
      : 'application/json';
    return { body: mutate(template), type };
  }

  // ── templates: well-formed requests, each from someone who may not act ──────────────────────────────────────
  const cardTemplate = () => ({
    outTrackId: `kdb-${int(1e6)}`,
    userId: pick(nobodies),
    corpId: 'dingcorp',
    content: chance(0.5)
      ? JSON.stringify({
          cardPrivateData: {
            actionIds: [pick(['approve', 'reject', 'transfer', 'addApprover', 'delete', '__proto__', nastyString()])],
            params: {
              workflowId: pick([ctx.approvalId, nastyString(), `approval:${ctx.acctId}:ER_ExpReimbursement:../../x`]),
              stepId: pick(['manager', 'nope', nastyString()]),
              comment: nastyString(),
              targetUserId: pick(nobodies),
            },
          },
        })
      : mutate({ cardPrivateData: { actionIds: ['approve'], params: { workflowId: ctx.approvalId } } }),
  });
  const botTemplate = () => ({
    msgId: `fuzz-${int(1e9)}`,
    msgtype: pick(['text', 'text', 'text', 'picture', 'richText', nastyString()]),
    text: { content: pick([nastyString(), `同意 FYBX000123 ${nastyString()}`, '待办', '帮助', '驳回 FYBX000123 x']) },
    senderStaffId: pick(nobodies),
    senderNick: nastyString(),
    conversationType: '1',
    conversationId: 'cid-fuzz',
    createAt: Date.now(),
    // Answers go nowhere useful: an emulator session that does not exist.
    sessionWebhook: pick([
      `${ctx.dingtalkBaseUrl}/robot/sendBySession?session=fuzz`,
      `${ctx.dingtalkBaseUrl}/robot/sendBySession?session=${enc(nastyString())}`,
      'file:///etc/passwd',
      'javascript:alert(1)',
      nastyString(),
    ]),
  });
  const pushTemplate = () => ({
    acctId: chance(0.8) ? ctx.acctId : nastyString(),
    formId: pick([
      'ER_ExpReimbursement',
      'AP_PAYBILL',
      'UNKNOWN_FORM',
      '../../etc/passwd',
      'ER_ExpReimbursement/../../x',
      'ER_ExpReimbursement%00',
      nastyString(),
    ]),
    billNo: pick(['FYBX000123', 'F'.repeat(81), 'F'.repeat(200_000), '../FYBX000123', nastyString()]),
    event: pick(['save', 'submit', 'audit', 'unaudit', 'cancel', 'delete', 'workflow', 'drop', nastyString()]),
    status: pick(['B', 'C', 'Z', nastyString()]),
  });

  // ── the endpoints ──────────────────────────────────────────────────────────────────────────────────────────
  function cardCallback(): FuzzCase {
    const { body: text, type } = body(cardTemplate());
    const ts = chance(0.1) ? pick(['0', '-1', 'abc', '1e99', String(Date.now() - 2 * 3600_000), '']) : nextTs();
    const sig = createHmac('sha256', fuzzSecrets.cardRoute).update(ts).digest('base64');
    const headers: Record<string, string> = { 'Content-Type': type };
    const mode = int(4);
    if (mode > 0) {
      headers['x-ddpaas-signature-timestamp'] = ts;
      headers['x-ddpaas-signature'] = mode === 1 ? 'Zm9yZ2Vk' : mode === 2 ? `${sig.slice(0, -2)}==` : sig;
    }
    return {
      kind: 'http',
      endpoint: 'POST /dingtalk/card-callback',
      method: 'POST',
      path: '/dingtalk/card-callback',
      headers,
      body: text,
    };
  }
  function robot(): FuzzCase {
    const { body: text, type } = body(botTemplate());
    const ts = chance(0.1) ? pick(['0', 'abc', String(Date.now() + 2 * 3600_000)]) : nextTs();
    const sign = createHmac('sha256', fuzzSecrets.clientSecret)
      .update(`${ts}\n${fuzzSecrets.clientSecret}`)
      .digest('base64');
    const headers: Record<string, string> = { 'Content-Type': type };
    const mode = int(4);
    if (mode > 0) {
      headers.timestamp = ts;
      headers.sign = mode === 1 ? 'bad' : mode === 2 ? sign.toLowerCase() : sign;
    }
    return {
      kind: 'http',
      endpoint: 'POST /dingtalk/robot',
      method: 'POST',
      path: '/dingtalk/robot',
      headers,
      body: text,
    };
  }
  function events(): FuzzCase {
    const ts = chance(0.1) ? pick(['1', 'abc', '']) : nextTs();
    const nonce = chance(0.9) ? `n${int(1e9)}` : nastyString();
    const plain = chance(0.5)
      ? mutate({ EventType: pick(['check_url', 'user_add_org', nastyString()]), UserId: ['x'] })
      : nastyString();
    const encrypt = pick([
      () => eventCrypto.encrypt(plain),
      () => randomBytes(int(200)).toString('base64'),
      () => nastyString(),
      () => eventCrypto.encrypt(plain).slice(0, -4),
      () => new DingTalkCallbackCrypto('t', 'Z'.repeat(43), 'someone-else').encrypt(plain),
    ])();
    const signature = chance(0.7) ? eventCrypto.sign(ts, nonce, encrypt) : pick(['0'.repeat(40), nastyString(), '']);
    const q = new URLSearchParams();
    if (chance(0.95)) q.set(pick(['signature', 'msg_signature']), signature);
    if (chance(0.95)) q.set(pick(['timestamp', 'timeStamp']), ts);
    if (chance(0.95)) q.set('nonce', nonce);
    if (chance(0.05)) q.append('nonce', 'again'); // repeated parameters arrive as arrays
    const payload = chance(0.85)
      ? JSON.stringify({ encrypt: chance(0.9) ? encrypt : nastyValue() })
      : mutate({ encrypt });
    return {
      kind: 'http',
      endpoint: 'POST /dingtalk/events',
      method: 'POST',
      path: `/dingtalk/events?${q.toString()}`,
      headers: json,
      body: chance(0.003) ? hugeBody() : payload,
    };
  }
  function push(): FuzzCase {
    const text = chance(0.004) ? hugeBody() : mutate(pushTemplate());
    const ts = chance(0.1) ? pick(['0', 'abc', String(Date.now() - 10 * 60_000), '']) : nextTsPush();
    const headers: Record<string, string> = { 'Content-Type': chance(0.95) ? 'application/json' : 'text/plain' };
    const mode = int(5);
    if (mode > 0) {
      headers['x-kdb-timestamp'] = ts;
      headers['x-kdb-signature'] =
        mode === 1 ? 'bad' : mode === 2 ? signPush('wrong-secret', ts, text) : signPush(fuzzSecrets.push, ts, text);
    }
    return { kind: 'http', endpoint: 'POST /kingdee/push', method: 'POST', path: '/kingdee/push', headers, body: text };
  }
  let pushClock = Date.now() - 4 * 60_000;
  const nextTsPush = () => String((pushClock += 1));
  function validPushHint(): FuzzCase {
    const text = JSON.stringify({
      acctId: ctx.acctId,
      formId: 'ER_ExpReimbursement',
      billNo: pick(['FYBX000123', 'FYBX999999']),
      event: pick(['delete', 'cancel', 'unaudit', 'audit', 'submit']),
    });
    const ts = nextTsPush();
    return {
      kind: 'http',
      endpoint: 'POST /kingdee/push (valid hint)',
      method: 'POST',
      path: '/kingdee/push',
      headers: { ...json, 'x-kdb-timestamp': ts, 'x-kdb-signature': signPush(fuzzSecrets.push, ts, text) },
      body: text,
    };
  }
  function adminAuth(withToken: boolean): Record<string, string> {
    if (withToken) return { Authorization: `Bearer ${fuzzSecrets.admin}` };
    return pick<Record<string, string>>([
      {},
      { Authorization: 'Bearer nope' },
      { Authorization: `bearer ${fuzzSecrets.admin}` },
      { Authorization: `Basic ${Buffer.from(`admin:${fuzzSecrets.admin}`).toString('base64')}` },
      { Authorization: `Bearer ${fuzzSecrets.admin.slice(0, -1)}` },
      { Authorization: `Bearer ${'x'.repeat(8_000)}` },
    ]);
  }
  const rawId = () =>
    pick([
      () => enc(nastyString()),
      () => enc(ctx.approvalId),
      () => `${enc(ctx.approvalId)}%00`,
      () => '..%2F..%2Fetc%2Fpasswd',
      () => '%2e%2e',
      () => '%ZZ',
      () => '%',
      () => enc(`poller:${ctx.acctId}:ER_ExpReimbursement`),
      () => enc('x'.repeat(600)),
      () => 'a/../../b',
      () => enc('\ud800'.repeat(3)).replace(/%EF%BF%BD/g, '%ED%A0%80'),
    ])();
  function admin(withToken: boolean): FuzzCase {
    const endpoint = `admin ${withToken ? 'with' : 'without'} token`;
    const headers = adminAuth(withToken);
    switch (int(4)) {
      case 0: {
        const q = new URLSearchParams();
        const fields = ['stage', 'status', 'approver', 'formId', 'billNo', 'limit', '__proto__', 'constructor', 'x'];
        for (let i = int(4); i > 0; i--)
          q.append(pick(fields), pick([nastyString(), 'awaiting-approval', 'lisi', '50', '-1', '1001', 'failed']));
        let query = q.toString();
        if (chance(0.1)) query = pick(['stage[$ne]=x', 'limit=%ZZ', 'a[b][c]=1', '&&&=', 'stage=a&stage=b']);
        return { kind: 'http', endpoint, method: 'GET', path: `/admin/approvals?${query}`, headers };
      }
      case 1:
        return { kind: 'http', endpoint, method: 'GET', path: `/admin/approvals/${rawId()}`, headers };
      default: {
        const { body: text, type } = body({ by: pick(['ops', nastyString()]), comment: nastyString() });
        const action = pick(['retry', 'resolve', 'delete', '..%2Fretry']);
        return {
          kind: 'http',
          endpoint,
          method: pick(['POST', 'POST', 'POST', 'PUT', 'DELETE']),
          path: `/admin/approvals/${rawId()}/${action}`,
          headers: { ...headers, 'Content-Type': type },
          body: text,
        };
      }
    }
  }
  function health(): FuzzCase {
    const route = pick(['/healthz', '/healthz', '/readyz', '/metrics']);
    const endpoint = `GET ${route}`;
    const suffix = pick(['', '', `?q=${enc(nastyString().slice(0, 50))}`, '?a=%ZZ', '?__proto__[x]=1', '/', '%00']);
    return {
      kind: 'http',
      endpoint,
      method: 'GET',
      path: `${route}${suffix}`,
      headers: {},
    };
  }
  function elsewhere(): FuzzCase {
    return {
      kind: 'http',
      endpoint: 'other paths and methods',
      method: pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']),
      path: pick([
        '/',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/admin',
        '/admin/',
        '/dingtalk',
        '/dingtalk/card-callback',
        '/kingdee/push',
        '/__proto__',
        `/${enc(nastyString())}`,
        '/%ZZ',
        `/${'a'.repeat(5_000)}`,
      ]),
      headers: json,
      body: chance(0.5) ? mutate({ a: 1 }) : undefined,
    };
  }
  function streamCard(): FuzzCase {
    const template = cardTemplate();
    const data = pick([
      () => template,
      () => ({ ...template, content: mutate({ cardPrivateData: { actionIds: ['approve'], params: {} } }) }),
      () => nastyValue(),
      () => nastyString(),
      () => ({ ...template, userId: nastyValue() }),
      () => JSON.parse(safeJson(mutate(template))) as unknown,
      () => 'x'.repeat(300_000 + int(700_000)),
    ])();
    return { kind: 'stream', endpoint: 'Stream card callback', topic: '/v1.0/card/instances/callback', data };
  }
  function streamBot(): FuzzCase {
    const template = botTemplate();
    const data = pick([
      () => template,
      () => ({ ...template, text: { content: nastyValue() } }),
      () => nastyValue(),
      () => JSON.parse(safeJson(mutate(template))) as unknown,
      () => ({ ...template, msgId: nastyString() }),
      () => 'y'.repeat(300_000 + int(700_000)),
    ])();
    return { kind: 'stream', endpoint: 'Stream robot message', topic: '/v1.0/im/bot/messages/get', data };
  }
  /** Mutated text that happens not to be JSON becomes a JSON string of itself. */
  const safeJson = (text: string): string => {
    try {
      JSON.parse(text);
      return text;
    } catch {
      return JSON.stringify(text);
    }
  };

  const generators: Array<[number, () => FuzzCase]> = [
    [14, cardCallback],
    [14, robot],
    [10, events],
    [14, push],
    [1, validPushHint],
    [9, () => admin(true)],
    [9, () => admin(false)],
    [6, health],
    [5, elsewhere],
    [4, streamCard],
    [4, streamBot],
  ];
  const total = generators.reduce((sum, [weight]) => sum + weight, 0);
  return function next(): FuzzCase {
    let roll = random() * total;
    for (const [weight, generate] of generators) {
      roll -= weight;
      if (roll < 0) return generate();
    }
    return generators[0]![1]();
  };
}
