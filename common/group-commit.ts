/**
 * Group commit per key: requests for one key that arrive while a commit for that key is on its way go together in
 * the next one, so a burst of N requests costs a few commits, not N. Each caller's promise settles with the commit
 * that carried its request (never before: what a caller is told is durable, is). When a shared commit fails, each of
 * its requests is committed again on its own, so one bad request fails only its own caller.
 *
 * Used for the notices' hand-over to an outbox (one signal carries many notices) and for Kingdee's push hints (one
 * poll-now signal answers every push that arrived while the previous one was on its way).
 */
export interface GroupCommitOptions<T> {
  /** A request's size (default 1). */
  weight?: (item: T) => number;
  /** A batch takes whole requests up to this total size (default: no limit); a larger request goes alone. */
  maxWeight?: number;
}

export class GroupCommit<T> {
  private readonly waiting = new Map<string, Array<Waiting<T>>>();
  private readonly committing = new Set<string>();

  constructor(
    private readonly commit: (key: string, items: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions<T> = {},
  ) {}

  submit(key: string, item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.waiting.set(key, queue);
      if (!this.committing.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    const weight = this.options.weight ?? (() => 1);
    const maxWeight = this.options.maxWeight ?? Infinity;
    this.committing.add(key);
    try {
      for (let queue = this.waiting.get(key); queue; queue = this.waiting.get(key)) {
        let taken = 1;
        let total = weight(queue[0]!.item);
        while (taken < queue.length && total + weight(queue[taken]!.item) <= maxWeight)
          total += weight(queue[taken++]!.item);
        const batch = queue.splice(0, taken);
        if (queue.length === 0) this.waiting.delete(key);
        await this.commitBatch(key, batch);
      }
    } finally {
      this.committing.delete(key);
    }
  }

  private async commitBatch(key: string, batch: Array<Waiting<T>>): Promise<void> {
    try {
      await this.commit(
        key,
        batch.map((w) => w.item),
      );
      for (const w of batch) w.resolve();
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(batch.map((w) => this.commit(key, [w.item]).then(w.resolve, w.reject)));
    }
  }
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}
