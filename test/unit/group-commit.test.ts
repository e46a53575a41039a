/**
 * Group commit (common/group-commit.ts), as the push hints use it: requests for a key that arrive while a commit for
 * it is on its way go together in the next one, each caller settles with the commit that carried its request, and
 * keys do not wait for each other. The notices' hand-over (weights, failure isolation): notice-hand-over.test.ts.
 */
import { GroupCommit } from '../../common/group-commit';

/** A commit the test finishes by hand, recording what each carried. */
function gatedCommits() {
  const commits: Array<{ key: string; items: string[]; finish: () => void }> = [];
  const group = new GroupCommit<string>(
    (key, items) => new Promise<void>((resolve) => commits.push({ key, items, finish: resolve })),
  );
  return { group, commits };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

it('sends the first request alone and every request arriving meanwhile together in the next commit', async () => {
  const { group, commits } = gatedCommits();
  const settled: string[] = [];
  const submit = (item: string) => group.submit('form', item).then(() => settled.push(item));
  const all = Array.from({ length: 30 }, (_, i) => submit(`push-${i}`));
  await settle();
  expect(commits.map((c) => c.items.length)).toEqual([1]);
  expect(settled).toEqual([]); // nobody is answered before the commit carrying their request is done

  commits[0]!.finish();
  await settle();
  expect(settled).toEqual(['push-0']);
  expect(commits.map((c) => c.items.length)).toEqual([1, 29]);

  commits[1]!.finish();
  await Promise.all(all);
  expect(settled).toHaveLength(30);
  expect(commits).toHaveLength(2);
});

it('commits each key on its own: one form’s signal on its way does not hold another’s', async () => {
  const { group, commits } = gatedCommits();
  const a = group.submit('form-a', 'a1');
  const b = group.submit('form-b', 'b1');
  await settle();
  expect(commits.map((c) => [c.key, c.items])).toEqual([
    ['form-a', ['a1']],
    ['form-b', ['b1']],
  ]);
  commits[1]!.finish();
  await b;
  commits[0]!.finish();
  await a;
});

it('passes a commit’s failure to the callers it carried, and keeps committing for those after them', async () => {
  let calls = 0;
  const group = new GroupCommit<string>(async () => {
    calls += 1;
    await Promise.resolve();
    if (calls === 1) throw new Error('Temporal unavailable');
  });
  await expect(group.submit('form', 'first')).rejects.toThrow('Temporal unavailable');
  await expect(group.submit('form', 'second')).resolves.toBeUndefined();
});
