// The collector's disk spool while redis-main is unreachable: an append-only file of checksummed
// records (spoolRecords.ts). `append` resolves only once its record is fsynced; fsyncs are shared
// by concurrent appends and run at most once per `fsyncEveryMs`. Opening recovers from a crash.
import { access, mkdir, open, readFile, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TickBatch } from '../../machines/types.ts';
import type { Spool } from '../../ports/tickBuffer.ts';
import { silentLogger, type Logger } from '../log.ts';
import { diskError, fsyncDir } from './fsyncDir.ts';
import { frameRecord, parseSpool } from './spoolRecords.ts';

export interface FileSpoolOptions {
  /** Minimum interval between two fsyncs (group commit); default 50. 0: fsync as soon as possible. */
  fsyncEveryMs?: number;
  log?: Logger;
}

export interface FileSpoolStats {
  appendedRecords: number;
  fsyncs: number;
  /** Records dropped from the end of the file at open: an append torn by a crash. */
  tornRecords: number;
  /** Damaged records in the middle of the file: skipped by readAll. */
  corruptRecords: number;
}

interface SyncWaiter {
  seq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Durability window: none. Every batch is on disk (written and fsynced) before `append` resolves;
 * an append that has not resolved may or may not survive a crash (a torn one is dropped at open).
 * Latency of an append is at most `fsyncEveryMs` plus one fsync. One process owns a spool file.
 */
export class FileSpool implements Spool {
  private readonly fsyncEveryMs: number;
  private readonly log: Logger;
  private handle: FileHandle | undefined;
  private opened = false;
  private count = 0;
  private ops: Promise<unknown> = Promise.resolve();
  private writeSeq = 0;
  private syncedSeq = 0;
  private waiters: SyncWaiter[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private syncQueued = false;
  private lastSyncAt = 0;
  private readonly counts: FileSpoolStats = {
    appendedRecords: 0,
    fsyncs: 0,
    tornRecords: 0,
    corruptRecords: 0,
  };

  constructor(
    readonly path: string,
    options: FileSpoolOptions = {},
  ) {
    this.fsyncEveryMs = Math.max(0, options.fsyncEveryMs ?? 50);
    this.log = options.log ?? silentLogger;
  }

  append(batches: TickBatch[]): Promise<void> {
    const record = frameRecord(batches);
    const written = this.enqueue('append', async () => {
      const handle = await this.openForAppend();
      let offset = 0;
      while (offset < record.length) {
        const { bytesWritten } = await handle.write(record, offset, record.length - offset);
        offset += bytesWritten;
      }
      this.count += batches.length;
      this.counts.appendedRecords += 1;
      return ++this.writeSeq;
    });
    return written.then((seq) => this.syncedThrough(seq));
  }

  readAll(): Promise<TickBatch[]> {
    return this.enqueue('readAll', async () => {
      await this.recover();
      return parseSpool(await readOrEmpty(this.path)).batches;
    });
  }

  /** Remove the file (what it held was replayed); pending appends are synced first. */
  clear(): Promise<void> {
    return this.enqueue('clear', async () => {
      await this.syncNow();
      await this.closeHandle();
      if (await exists(this.path)) {
        await rm(this.path, { force: true });
        await fsyncDir(dirname(this.path));
      }
      this.count = 0;
      this.opened = true;
    });
  }

  size(): Promise<number> {
    return this.enqueue('size', async () => {
      await this.recover();
      return this.count;
    });
  }

  stats(): FileSpoolStats {
    return { ...this.counts };
  }

  /** Sync what is written and release the file (the spool can be used again afterwards). */
  close(): Promise<void> {
    return this.enqueue('close', async () => {
      await this.syncNow();
      await this.closeHandle();
    });
  }

  /** One file operation at a time, in call order; disk failures become TG_ERR_DEP_DOWN. */
  private enqueue<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const run = this.ops.then(async () => {
      try {
        return await fn();
      } catch (error) {
        const coded = diskError(error, op, this.path);
        // Whatever was written but not yet synced is of unknown fate: its appends fail (the caller
        // keeps those batches and retries; duplicates are harmless downstream). After a failed
        // write the file may end in a partial record: re-scan it before going on.
        for (const w of this.waiters.splice(0)) w.reject(coded);
        await this.closeHandle().catch(() => undefined);
        this.opened = false;
        throw coded;
      }
    });
    this.ops = run.catch(() => undefined);
    return run;
  }

  /** First use (or after a failure): count the records and cut a torn tail off the file. */
  private async recover(): Promise<void> {
    if (this.opened) return;
    const data = await readOrEmpty(this.path);
    const parsed = parseSpool(data);
    if (parsed.goodEnd < data.length) {
      await truncate(this.path, parsed.goodEnd);
      this.log.warn('spool: dropped a torn record at the end of the file', {
        path: this.path,
        records: parsed.torn,
        bytes: data.length - parsed.goodEnd,
      });
    }
    if (parsed.corrupt > 0) {
      this.log.error('spool: skipped damaged records', { path: this.path, records: parsed.corrupt });
    }
    this.counts.tornRecords += parsed.torn;
    this.counts.corruptRecords += parsed.corrupt;
    this.count = parsed.batches.length;
    this.opened = true;
  }

  private async openForAppend(): Promise<FileHandle> {
    await this.recover();
    if (this.handle) return this.handle;
    await mkdir(dirname(this.path), { recursive: true });
    const existed = await exists(this.path);
    this.handle = await open(this.path, 'a');
    if (!existed) await fsyncDir(dirname(this.path));
    return this.handle;
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  /** Resolves once a completed fsync covers write `seq`. */
  private syncedThrough(seq: number): Promise<void> {
    if (this.syncedSeq >= seq) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.scheduleSync();
    });
  }

  /** Group commit: the first fsync after a quiet spell runs at once, later ones `fsyncEveryMs` apart. */
  private scheduleSync(): void {
    if (this.syncTimer || this.syncQueued) return;
    const delay = Math.max(0, this.lastSyncAt + this.fsyncEveryMs - Date.now());
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncQueued = true;
      void this.enqueue('fsync', () => this.syncNow())
        .catch(() => undefined)
        .finally(() => {
          this.syncQueued = false;
          if (this.waiters.length > 0) this.scheduleSync();
        });
    }, delay);
  }

  /** fsync everything written so far and settle the appends waiting for it (runs inside the queue). */
  private async syncNow(): Promise<void> {
    const target = this.writeSeq;
    const covered = this.waiters.filter((w) => w.seq <= target);
    if (covered.length === 0 && this.syncedSeq >= target) return;
    this.waiters = this.waiters.filter((w) => w.seq > target);
    try {
      if (this.handle) await this.handle.sync();
      this.lastSyncAt = Date.now();
      this.counts.fsyncs += 1;
      this.syncedSeq = target;
      for (const w of covered) w.resolve();
    } catch (error) {
      const coded = diskError(error, 'fsync', this.path);
      for (const w of covered) w.reject(coded);
      throw error;
    }
  }
}

async function readOrEmpty(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
