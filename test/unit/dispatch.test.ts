// Dispatch order: volume first, deterministic ties, aging lets a long-waiting small gap through.
import { describe, expect, it } from 'vitest';
import {
  compareAt,
  effectivePriority,
  enqueue,
  peekNext,
  remove,
  respectsVolumeOrder,
  takeNext,
  type DispatchQueue,
} from '../../machines/dispatch.ts';

describe('dispatch queue', () => {
  it('takes the higher-volume symbol first (005930 before 000020)', () => {
    let q: DispatchQueue = [];
    q = enqueue(q, { id: 'gap:000020:1', priority: 150_000, enqueuedAt: 0 });
    q = enqueue(q, { id: 'gap:005930:1', priority: 18_000_000, enqueuedAt: 10 });
    expect(takeNext(q, 10, 60_000).item?.id).toBe('gap:005930:1');
  });

  it('breaks ties deterministically: volume, then age, then gap id', () => {
    const a = { id: 'gap:b', priority: 5, enqueuedAt: 0 };
    const b = { id: 'gap:a', priority: 5, enqueuedAt: 0 };
    expect(peekNext([a, b], 0, 0)?.id).toBe('gap:a');
    expect(peekNext([b, a], 0, 0)?.id).toBe('gap:a');
    const older = { id: 'gap:z', priority: 5, enqueuedAt: -1 };
    expect(peekNext([a, b, older], 0, 0)?.id).toBe('gap:z');
  });

  it('lets a small gap pass a fresh big one once it has aged enough', () => {
    const small = { id: 'gap:small', priority: 9, enqueuedAt: 0 };
    const big = { id: 'gap:big', priority: 99, enqueuedAt: 1000 };
    // (9+1)(1 + w/1000) >= (99+1) needs w >= 9000 ms of waiting.
    expect(peekNext([small, big], 8999, 1000)?.id).toBe('gap:big');
    expect(peekNext([small, { ...big, enqueuedAt: 9001 }], 9001, 1000)?.id).toBe('gap:small');
    expect(respectsVolumeOrder(small, { ...big, enqueuedAt: 9001 }, 9001, 1000)).toBe(true);
    expect(respectsVolumeOrder(small, big, 5000, 1000)).toBe(false);
  });

  it('never ages when aging is disabled, and zero-volume gaps still age otherwise', () => {
    expect(effectivePriority({ id: 'x', priority: 0, enqueuedAt: 0 }, 1e9, 0)).toBe(1);
    expect(effectivePriority({ id: 'x', priority: 0, enqueuedAt: 0 }, 1000, 1000)).toBe(2);
  });

  it('keeps the original wait when an item is re-enqueued, and removes by id', () => {
    let q: DispatchQueue = enqueue([], { id: 'g', priority: 1, enqueuedAt: 5 });
    q = enqueue(q, { id: 'g', priority: 2, enqueuedAt: 50 });
    expect(q).toEqual([{ id: 'g', priority: 2, enqueuedAt: 5 }]);
    expect(remove(q, 'g')).toEqual([]);
    expect(compareAt(q[0], q[0], 0, 0)).toBe(0);
  });
});
