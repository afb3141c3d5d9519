// The supervisor's outbox on local disk: the whole queue as one JSON file, replaced atomically
// (write a temp file, fsync, rename, fsync the directory), so a crash leaves the old or the new
// queue, never a torn one. Overlapping saves are coalesced: the newest queue always wins.
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TgError } from '../../machines/errors.ts';
import type { TgEvent } from '../../machines/types.ts';
import type { OutboxStore } from '../../ports/outboxStore.ts';
import { decodeEvent } from '../redis/eventCodec.ts';
import { diskError, fsyncDir } from './fsyncDir.ts';

export class FileOutboxStore implements OutboxStore {
  private latest: string | undefined;
  private written: string | undefined;
  private ops: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Saved events, oldest first; [] when nothing was saved. A damaged file is TG_ERR_STORE. */
  async load(): Promise<TgEvent[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw diskError(error, 'outbox load', this.path);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed)) {
      throw new TgError(
        'TG_ERR_STORE',
        `outbox file ${this.path} is damaged (not a JSON array); move it away`,
        {
          path: this.path,
        },
      );
    }
    const events: TgEvent[] = [];
    for (const item of parsed) {
      const event = decodeEvent(JSON.stringify(item));
      if (event) events.push(event);
    }
    return events;
  }

  /** Resolves once this queue, or a newer one, is durably on disk. */
  save(events: readonly TgEvent[]): Promise<void> {
    this.latest = JSON.stringify(events);
    const run = this.ops.then(() => this.writeLatest());
    this.ops = run.catch(() => undefined);
    return run;
  }

  private async writeLatest(): Promise<void> {
    const text = this.latest;
    if (text === undefined || text === this.written) return;
    const dir = dirname(this.path);
    const temp = `${this.path}.tmp`;
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
      await fsyncDir(dir);
      this.written = text;
    } catch (error) {
      throw diskError(error, 'outbox save', this.path);
    }
  }
}
