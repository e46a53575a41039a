/**
 * An append-only journal file that a crash cannot lose: each record is one JSON line, written and fsync'd before
 * `append` resolves, so a caller may promise "received" once it has. Records carry an id; `markDone(id)` appends a
 * done line (nothing is rewritten in place), and once every record is done the file is removed. Reading tolerates
 * a torn last line (a crash mid-write: that record was never acknowledged to anyone) and unknown lines.
 *
 * One process owns a journal file at a time: appends and compaction are serialised inside the process only.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';

export interface JournalRecord<T> {
  id: string;
  /** When the record was written (ISO 8601, this machine's clock). */
  at: string;
  data: T;
}

type Line<T> = ({ op: 'add' } & JournalRecord<T>) | { op: 'done'; id: string; at: string; outcome: string };

export interface JournalContents<T> {
  /** Records not marked done, oldest first. */
  pending: Array<JournalRecord<T>>;
  /** Lines that could not be read (a torn write at the end, or garbage). */
  unreadable: number;
  /** Records marked done still in the file (compaction removes them). */
  done: number;
}

/** Parse a journal's text: what is pending, in order. */
export function parseJournal<T>(text: string): JournalContents<T> {
  const pending = new Map<string, JournalRecord<T>>();
  let unreadable = 0;
  let done = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: Line<T>;
    try {
      line = JSON.parse(raw) as Line<T>;
    } catch {
      unreadable += 1;
      continue;
    }
    if (line?.op === 'add' && typeof line.id === 'string')
      pending.set(line.id, { id: line.id, at: line.at, data: line.data });
    else if (line?.op === 'done' && typeof line.id === 'string') {
      if (pending.delete(line.id)) done += 1;
    } else unreadable += 1;
  }
  return { pending: [...pending.values()], unreadable, done };
}

/** Read a journal file without opening it for writing (e.g. `npm run doctor`); a missing file is an empty journal. */
export function readJournalFile<T>(file: string): JournalContents<T> {
  try {
    return parseJournal<T>(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { pending: [], unreadable: 0, done: 0 };
    throw err;
  }
}

export class Journal<T> {
  private handle?: fs.FileHandle;
  private loaded = false;
  private readonly records = new Map<string, JournalRecord<T>>();
  private doneLines = 0;
  /** A write failed part-way: the next line must start on a line of its own. */
  private torn = false;
  /** Every file operation runs in this chain, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  /** `compactAfter`: rewrite the file once this many done lines sit next to pending records. */
  constructor(
    readonly file: string,
    private readonly options: { compactAfter?: number } = {},
  ) {}

  /** Records not yet marked done, oldest first (loads the file on first use). */
  async pending(): Promise<Array<JournalRecord<T>>> {
    await this.serial(() => this.load());
    return [...this.records.values()];
  }

  /** Pending records already loaded, without touching the file. */
  pendingNow(): Array<JournalRecord<T>> {
    return [...this.records.values()];
  }

  /** Write one record and fsync it; resolves only once it is on disk. Rejects if it could not be stored. */
  async append(data: T): Promise<JournalRecord<T>> {
    return this.serial(async () => {
      await this.load();
      const record: JournalRecord<T> = { id: randomUUID(), at: new Date().toISOString(), data };
      await this.write({ op: 'add', ...record });
      this.records.set(record.id, record);
      return record;
    });
  }

  /** The record is dealt with; once nothing is pending the file is removed. */
  async markDone(id: string, outcome: string): Promise<void> {
    return this.serial(async () => {
      await this.load();
      if (!this.records.has(id)) return;
      await this.write({ op: 'done', id, at: new Date().toISOString(), outcome });
      this.records.delete(id);
      this.doneLines += 1;
      if (this.records.size === 0) {
        // Nothing pending: remove the file (a crash before this leaves only done records, which replay as nothing).
        await this.handle?.close();
        this.handle = undefined;
        await fs.rm(this.file, { force: true });
        await syncDirectory(path.dirname(this.file));
        this.doneLines = 0;
      } else if (this.doneLines >= (this.options.compactAfter ?? 1_000)) {
        await this.rewrite();
      }
    });
  }

  async close(): Promise<void> {
    return this.serial(async () => {
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close();
    });
  }

  private serial<R>(op: () => Promise<R>): Promise<R> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    let text = '';
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const contents = parseJournal<T>(text);
    for (const record of contents.pending) this.records.set(record.id, record);
    this.doneLines = contents.done;
    // A torn last line (crash mid-write) must not swallow the next record: start the next one on a new line.
    if (text.length > 0 && !text.endsWith('\n')) {
      const handle = await this.open();
      await handle.write('\n');
      await handle.sync();
    }
    this.loaded = true;
  }

  private async open(): Promise<fs.FileHandle> {
    if (this.handle) return this.handle;
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    let created = false;
    try {
      await fs.access(this.file);
    } catch {
      created = true;
    }
    this.handle = await fs.open(this.file, 'a');
    if (created) await syncDirectory(dir);
    return this.handle;
  }

  private async write(line: Line<T>): Promise<void> {
    const handle = await this.open();
    const text = `${this.torn ? '\n' : ''}${JSON.stringify(line)}\n`;
    this.torn = true;
    await handle.write(text);
    await handle.sync();
    this.torn = false;
  }

  /** Keep only pending records: write them to a temporary file, fsync, rename over the journal, fsync the folder. */
  private async rewrite(): Promise<void> {
    const temporary = `${this.file}.compact`;
    const text = [...this.records.values()].map((r) => `${JSON.stringify({ op: 'add', ...r })}\n`).join('');
    const out = await fs.open(temporary, 'w');
    try {
      await out.write(text);
      await out.sync();
    } finally {
      await out.close();
    }
    await this.handle?.close();
    this.handle = undefined;
    await fs.rename(temporary, this.file);
    await syncDirectory(path.dirname(this.file));
    this.doneLines = 0;
  }
}

/** Make a new or renamed directory entry durable (best effort where directories cannot be opened, e.g. Windows). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported on this platform
  } finally {
    await handle?.close();
  }
}
