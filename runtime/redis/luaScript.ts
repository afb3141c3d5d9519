// A Lua script run by EVALSHA with a fallback to EVAL when the server does not know it yet (first
// use, or after a restart emptied the script cache), so callers never deal with NOSCRIPT.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { replyCode } from './redisErrors.ts';

export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (replyCode(error) !== 'NOSCRIPT') throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
