// Runs the Spool and OutboxStore contracts against the local-disk adapters, each test in its own
// temporary directory (real files, real fsync).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { FileOutboxStore, FileSpool } from '../../runtime/disk/index.ts';
import type { Harness } from './harness.ts';
import { outboxStoreContract } from './outboxStore.contract.ts';
import { spoolContract } from './spool.contract.ts';

function diskHarness<P>(create: (dir: string) => P): () => Promise<Harness<P>> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-disk-'));
    return {
      port: create(dir),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      settle: async () => undefined,
      now: () => Date.now(),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  };
}

describe('disk adapters', () => {
  spoolContract(
    'file (group commit every 50 ms)',
    diskHarness((dir) => new FileSpool(join(dir, 'spool', 'collector.spool'))),
  );
  spoolContract(
    'file (fsync per append)',
    diskHarness((dir) => new FileSpool(join(dir, 'collector.spool'), { fsyncEveryMs: 0 })),
  );
  outboxStoreContract(
    'file',
    diskHarness((dir) => new FileOutboxStore(join(dir, 'supervisor', 'outbox.json'))),
  );
});
