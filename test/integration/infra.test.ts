// The test infrastructure itself: the shared servers answer, and a private server can be killed
// and started again on the same port (what the chaos tests rely on).
import { describe, expect, it, inject } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startRedis } from '../infra/servers.ts';

describe('test infrastructure', () => {
  it('the shared redis-server and PostgreSQL answer', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    redis.disconnect();
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    const r = await client.query('select 1 as one');
    expect(r.rows[0].one).toBe(1);
    await client.end();
  });

  it('a private redis-server comes back on the same port after SIGKILL', async () => {
    const server = await startRedis();
    try {
      const redis = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true });
      await redis.connect();
      await redis.set('k', 'v');
      await server.kill();
      await expect(redis.get('k')).rejects.toThrow();
      await server.start();
      await new Promise((r) => setTimeout(r, 300));
      expect(await redis.get('k')).toBeNull(); // no persistence: a fresh server
      redis.disconnect();
    } finally {
      await server.destroy();
    }
  });
});
