// Durability helpers for files whose creation, rename or removal must survive a crash: the new
// directory entry is only on disk once the directory itself is fsynced (Linux, ext4/xfs).
import { open } from 'node:fs/promises';
import { TgError } from '../../machines/errors.ts';

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems (and non-Linux platforms) refuse fsync on directories; the data is synced.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

/** A disk failure as a coded error: the caller keeps the data elsewhere and retries later. */
export function diskError(error: unknown, op: string, path: string): TgError {
  const code = (error as NodeJS.ErrnoException)?.code ?? 'EIO';
  return new TgError('TG_ERR_DEP_DOWN', `disk ${op} failed for ${path} (${code})`, {
    dependency: 'disk',
    op,
    path,
    cause: code,
  });
}
