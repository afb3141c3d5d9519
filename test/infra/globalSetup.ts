// Vitest global setup: one shared redis-server and PostgreSQL for the whole run, unless REDIS_URL /
// DATABASE_URL point at existing servers. Tests read them with inject('redisUrl' | 'databaseUrl')
// and isolate themselves with unique key prefixes and schemas.
import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis, type ServerHandle } from './servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: ServerHandle[] = [];
  let redisUrl = process.env.REDIS_URL;
  let databaseUrl = process.env.DATABASE_URL;
  if (!redisUrl) {
    const redis = await startRedis();
    started.push(redis);
    redisUrl = redis.url;
  }
  if (!databaseUrl) {
    const pg = await startPostgres();
    started.push(pg);
    databaseUrl = pg.url;
  }
  project.provide('redisUrl', redisUrl);
  project.provide('databaseUrl', databaseUrl);
  return async () => {
    for (const s of started) await s.destroy();
  };
}
