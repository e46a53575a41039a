import { createHash } from 'node:crypto';
import {
  appendEntry,
  canonicalJson,
  entryHash,
  GENESIS_HASH,
  sha256Hex,
  verifyLog,
  type DecisionLogEntry,
  type NewDecisionLogEntry,
} from '../../domain/decision-log';

const t0 = Date.parse('2026-11-24T02:00:00Z');

const events: NewDecisionLogEntry[] = [
  { at: t0, actor: 'system', action: 'start', channel: 'kingdee', comment: '费用报销单 FYBX000123 进入审批' },
  { at: t0 + 32 * 60_000, actor: 'lisi', action: 'approve', channel: 'card', stepId: 'dept-manager', comment: '同意' },
  { at: t0 + 4 * 3_600_000, actor: 'system', action: 'remind', channel: 'timer', stepId: 'finance-manager' },
  {
    at: t0 + 5 * 3_600_000,
    actor: 'qianqi',
    onBehalfOf: 'wangwu',
    action: 'approve',
    channel: 'text',
    stepId: 'finance-manager',
    comment: '情况属实 ✅',
  },
  {
    at: t0 + 5 * 3_600_000 + 1_000,
    actor: 'system',
    action: 'writeBack',
    channel: 'kingdee',
    details: { operation: 'Audit', comment: '钉钉审批：李四 2026-11-24 10:32 同意', attempts: 1, ok: true },
  },
];

const build = (entries = events): DecisionLogEntry[] =>
  entries.reduce<DecisionLogEntry[]>((log, entry) => appendEntry(log, entry), []);

/** Deep copy, as Temporal stores and returns workflow state. */
const copy = (log: DecisionLogEntry[]): DecisionLogEntry[] => JSON.parse(JSON.stringify(log)) as DecisionLogEntry[];

describe('appending', () => {
  it('numbers entries, links each to the previous hash and starts from 64 zeros', () => {
    const log = build();
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(log[0]?.prevHash).toBe(GENESIS_HASH);
    log.slice(1).forEach((entry, i) => expect(entry.prevHash).toBe(log[i]?.hash));
    expect(new Set(log.map((e) => e.hash)).size).toBe(5);
    expect(log[1]).toMatchObject({ at: '2026-11-24T02:32:00.000Z', actor: 'lisi', comment: '同意' });
  });

  it('hashes SHA-256(prevHash + canonical JSON without hash), UTF-8, the same as node:crypto', () => {
    const [first, , , fourth] = build();
    for (const entry of [first, fourth]) {
      if (!entry) throw new Error('missing entry');
      const { hash, ...unsigned } = entry;
      const expected = createHash('sha256')
        .update(entry.prevHash + canonicalJson(unsigned), 'utf8')
        .digest('hex');
      expect(hash).toBe(expected);
      expect(entryHash(unsigned)).toBe(expected);
    }
    expect(sha256Hex('钉钉审批 ✅ 𠮷')).toBe(createHash('sha256').update('钉钉审批 ✅ 𠮷', 'utf8').digest('hex'));
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('does not change the log it is given, and drops undefined fields', () => {
    const log = build(events.slice(0, 2));
    const before = JSON.stringify(log);
    const longer = appendEntry(log, {
      at: t0,
      actor: 'system',
      action: 'remind',
      channel: 'timer',
      comment: undefined,
    });
    expect(JSON.stringify(log)).toBe(before);
    expect(longer).toHaveLength(3);
    expect('comment' in (longer[2] ?? {})).toBe(false);
  });

  it('refuses unknown actions, channels and times', () => {
    const bad = (entry: Partial<NewDecisionLogEntry>) => () =>
      appendEntry([], { at: t0, actor: 'system', action: 'remind', channel: 'timer', ...entry });
    expect(bad({ action: 'delete' as never })).toThrow('unknown decision-log action "delete"');
    expect(bad({ channel: 'fax' as never })).toThrow('unknown decision-log channel "fax"');
    expect(bad({ at: 'yesterday' })).toThrow('not a valid instant');
  });
});

describe('verifyLog', () => {
  it('accepts an intact log, also after a JSON round trip (workflow state), and returns its head', () => {
    const log = build();
    expect(verifyLog(log)).toEqual({ ok: true, head: log[4]?.hash });
    expect(verifyLog(copy(log))).toEqual({ ok: true, head: log[4]?.hash });
    expect(verifyLog([])).toEqual({ ok: true, head: GENESIS_HASH });
  });

  it('detects a changed comment', () => {
    const log = copy(build());
    (log[1] as DecisionLogEntry).comment = '不同意';
    expect(verifyLog(log)).toEqual({ ok: false, brokenAt: 2, reason: 'entry 2 was changed' });
  });

  it('detects a changed entry even when its own hash was recomputed: the next entry no longer follows', () => {
    const log = copy(build());
    const forged = { ...(log[3] as DecisionLogEntry), actor: 'zhaoliu' };
    const { hash: _old, ...unsigned } = forged;
    log[3] = { ...unsigned, hash: entryHash(unsigned) };
    expect(verifyLog(log)).toEqual({ ok: false, brokenAt: 5, reason: 'entry 5 does not follow entry 4' });
  });

  it('detects a changed detail nested in an entry', () => {
    const log = copy(build());
    ((log[4] as DecisionLogEntry).details as Record<string, unknown>).operation = 'UnAudit';
    expect(verifyLog(log)).toMatchObject({ ok: false, brokenAt: 5 });
  });

  it('detects a removed entry, reordered entries and a forged sequence number', () => {
    const removed = copy(build());
    removed.splice(2, 1);
    expect(verifyLog(removed)).toMatchObject({ ok: false, brokenAt: 3 });

    const swapped = copy(build());
    [swapped[1], swapped[2]] = [swapped[2] as DecisionLogEntry, swapped[1] as DecisionLogEntry];
    expect(verifyLog(swapped)).toMatchObject({ ok: false, brokenAt: 2 });

    const renumbered = copy(build());
    (renumbered[2] as DecisionLogEntry).seq = 7;
    expect(verifyLog(renumbered)).toEqual({ ok: false, brokenAt: 3, reason: 'entry 3 says seq 7' });
  });

  it('detects entries cut off the end only with the head kept elsewhere', () => {
    const log = build();
    const head = log[4]?.hash;
    const cut = log.slice(0, 3);
    expect(verifyLog(cut)).toMatchObject({ ok: true });
    expect(verifyLog(cut, head)).toEqual({
      ok: false,
      brokenAt: 4,
      reason: 'the log ends early: entries after the last one are missing',
    });
    expect(verifyLog(log, head)).toMatchObject({ ok: true });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and ignores undefined, so field order never changes a hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: undefined, b: null } })).toBe(
      '{"a":{"b":null,"d":[1,"x"]},"b":1}',
    );
    expect(canonicalJson({ 王: '五', a: '中文' })).toBe('{"a":"中文","王":"五"}');
  });

  it('refuses values JSON cannot carry faithfully', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('cannot hash the number NaN');
    expect(() => canonicalJson({ f: () => 1 })).toThrow('cannot hash a function');
  });
});
