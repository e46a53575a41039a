/**
 * Contract tests: DingTalk's user search (搜索用户userId) in our client against the emulator over real HTTP, and the
 * people lookup a 转交 / 加签 uses to find who it brings in (userId, mobile, name; several with one name; nobody).
 */
import axios from 'axios';
import { loadDingTalkSeed } from '../../emulators/dingtalk/seed';
import type { DingTalkEmulator } from '../../emulators/dingtalk/server';
import { createPeopleLookup } from '../../api/people-lookup';
import { DingTalkRequestError } from '../../integrations/dingtalk';
import { dingtalkClientFor, startTestDingTalk } from '../helpers/dingtalk';

let emulator: DingTalkEmulator;
beforeAll(async () => {
  const seed = loadDingTalkSeed();
  emulator = await startTestDingTalk({
    seed: {
      ...seed,
      users: [
        ...seed.users,
        { userId: 'wangfang1', name: '王芳', mobile: '13900000011', deptIds: [2] },
        { userId: 'wangfang2', name: '王芳', mobile: '13900000022', deptIds: [3] },
        { userId: 'wangfangfang', name: '王芳芳', mobile: '13900000033', deptIds: [3] },
      ],
    },
  });
});
afterAll(async () => {
  await emulator?.close();
});

it('searches users by exact name or by part of a name, one page at a time', async () => {
  const client = dingtalkClientFor(emulator);
  expect(await client.searchUsers({ queryWord: '钱七', exact: true })).toEqual({
    userIds: ['qianqi'],
    hasMore: false,
    totalCount: 1,
  });
  expect(await client.searchUsers({ queryWord: '王芳', exact: true })).toMatchObject({
    userIds: ['wangfang1', 'wangfang2'],
    totalCount: 2,
  });
  expect(await client.searchUsers({ queryWord: '王芳', size: 2 })).toEqual({
    userIds: ['wangfang1', 'wangfang2'],
    hasMore: true,
    totalCount: 3,
  });
  expect((await client.searchUsers({ queryWord: '王芳', offset: 2, size: 2 })).userIds).toEqual(['wangfangfang']);
  expect(await client.searchUsers({ queryWord: '无此人', exact: true })).toEqual({
    userIds: [],
    hasMore: false,
    totalCount: 0,
  });
  expect(await client.getDepartment(3)).toEqual({ deptId: 3, name: '财务部', managerUserIds: ['wangwu'] });
  expect(await client.getDepartment(99)).toBeUndefined();
});

it('answers the search as strictly as DingTalk: token header, mandatory fields, {code, message, requestid}', async () => {
  const url = `${emulator.baseUrl}/v1.0/contact/users/search`;
  const token = await dingtalkClientFor(emulator).getAccessToken();
  const post = (body: unknown, headers: Record<string, string> = { 'x-acs-dingtalk-access-token': token }) =>
    axios.post(url, body, { headers, validateStatus: () => true });
  const noToken = await post({ queryWord: '钱七', offset: 0, size: 10 }, {});
  expect([noToken.status, noToken.data.code]).toEqual([401, 'InvalidAuthentication']);
  const inQuery = await axios.post(
    `${url}?access_token=${token}`,
    { queryWord: '钱七', offset: 0, size: 10 },
    {
      validateStatus: () => true,
    },
  );
  expect(inQuery.status).toBe(401);
  const noWord = await post({ offset: 0, size: 10 });
  expect([noWord.status, noWord.data.code, noWord.data.message]).toEqual([
    400,
    'MissingqueryWord',
    'queryWord is mandatory for this action.',
  ]);
  expect(typeof noWord.data.requestid).toBe('string');
  expect((await post({ queryWord: '钱七', size: 10 })).data.code).toBe('Missingoffset');
  expect((await post({ queryWord: '钱七', offset: 0, size: 101 })).data.code).toBe('InvalidParameter');
  expect((await post({ queryWord: '钱七', offset: 0, size: 10, fullMatchField: 2 })).status).toBe(400);
});

it('reports a refused search as a request error', async () => {
  emulator.faults.push({ kind: 'http500', path: '/v1.0/contact/users/search', times: 1 });
  await expect(dingtalkClientFor(emulator).searchUsers({ queryWord: '钱七' })).rejects.toThrow(/system.busy/);
  const client = dingtalkClientFor(emulator);
  await expect(client.searchUsers({ queryWord: ' ' })).rejects.toBeInstanceOf(DingTalkRequestError);
});

describe('people lookup', () => {
  const lookup = () => createPeopleLookup(dingtalkClientFor(emulator));

  it('finds a person by DingTalk userId, by mobile (with or without +86) and by name', async () => {
    const people = lookup();
    expect(await people.find('zhouba')).toEqual({
      kind: 'found',
      person: { userId: 'zhouba', name: '周八' },
      by: 'userId',
    });
    expect(await people.find('13800000005')).toMatchObject({ kind: 'found', person: { userId: 'qianqi' } });
    expect(await people.find('+86 138-0000-0005')).toMatchObject({ kind: 'found', by: 'mobile' });
    expect(await people.find('@钱七')).toEqual({
      kind: 'found',
      person: { userId: 'qianqi', name: '钱七' },
      by: 'name',
    });
  });

  it('lists everyone sharing a name with department and mobile tail, and finds nobody for an unknown one', async () => {
    const people = lookup();
    expect(await people.find('王芳')).toEqual({
      kind: 'ambiguous',
      query: '王芳',
      total: 2,
      candidates: [
        { userId: 'wangfang1', name: '王芳', department: '销售部', mobileTail: '0011' },
        { userId: 'wangfang2', name: '王芳', department: '财务部', mobileTail: '0022' },
      ],
    });
    expect(await people.find('wangxiaoming')).toEqual({ kind: 'notFound', query: 'wangxiaoming' });
    expect(await people.find('王小明')).toEqual({ kind: 'notFound', query: '王小明' });
    expect(await people.find('13999999999')).toEqual({ kind: 'notFound', query: '13999999999' });
  });

  it('says DingTalk is unavailable rather than guessing when a lookup fails', async () => {
    emulator.faults.push({ kind: 'http500', path: '/v1.0/contact/users/search', times: 1 });
    expect(await lookup().find('周八')).toEqual({ kind: 'unavailable', query: '周八' });
  });
});
