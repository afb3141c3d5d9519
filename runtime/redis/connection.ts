// ioredis connections for the live adapters, configured so an outage never hangs or queues a call:
// no offline queue, a per-command timeout, endless background reconnects with bounded back-off, and
// every failure turned into a coded TgError (TG_ERR_DEP_DOWN or TG_ERR_TIMEOUT).
import { Redis, type RedisOptions } from 'ioredis';
import { TgError } from '../../machines/errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { toTgError } from './redisErrors.ts';

export interface RedisConnectionOptions {
  url: string;
  /** Component name used in errors and logs ('redis-main', 'redis-gatekeeper'). */
  dependency?: string;
  /** A call that gets no answer within this many ms rejects with TG_ERR_TIMEOUT (default 1000). */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST (e.g. the process's component id). */
  name?: string;
  /** Upper bound of the reconnect back-off (default 1000 ms); reconnects never stop. */
  maxReconnectDelayMs?: number;
  log?: Logger;
}

/** Consecutive timeouts after which the socket is presumed dead and replaced. */
const TIMEOUTS_BEFORE_RECONNECT = 3;

type ClientRole = 'main' | 'subscriber';

export class RedisConnection {
  readonly dependency: string;
  readonly commandTimeoutMs: number;
  readonly client: Redis;
  private subscriberClient: Redis | undefined;
  private readonly options: RedisOptions;
  private readonly url: string;
  private readonly log: Logger;
  private closed = false;
  private consecutiveTimeouts = 0;
  private readonly down: Record<ClientRole, boolean> = { main: false, subscriber: false };

  constructor(o: RedisConnectionOptions) {
    this.dependency = o.dependency ?? 'redis-main';
    this.commandTimeoutMs = o.commandTimeoutMs ?? 1000;
    this.log = o.log ?? silentLogger;
    this.url = o.url;
    const maxDelay = o.maxReconnectDelayMs ?? 1000;
    this.options = {
      connectionName: o.name ? o.name.replace(/[^\w:.-]/g, '_') : undefined,
      // Fail fast instead of queueing while disconnected: the caller (collector) spools to disk.
      enableOfflineQueue: false,
      commandTimeout: this.commandTimeoutMs,
      connectTimeout: Math.max(2 * this.commandTimeoutMs, 2000),
      // A command in flight when the socket dies is rejected at once, never silently re-sent later.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Resubscription is the event bus's job (on 'ready', with its failure handled): ioredis' own
      // leaves an unhandled rejection when the socket dies again before the SUBSCRIBE is answered.
      autoResubscribe: false,
      protocol: 2,
      lazyConnect: false,
      retryStrategy: (times: number) =>
        Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelay) + Math.floor(Math.random() * 50),
    };
    this.client = this.create('main');
  }

  /** Run commands on the main client once it is usable; every failure becomes a TgError. */
  run<T>(op: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    return this.runOn(this.client, op, fn);
  }

  /** The Pub/Sub connection, created on first use (a subscribed connection can do nothing else). */
  subscriber(): Redis {
    if (this.closed) throw this.closedError('subscribe');
    this.subscriberClient ??= this.create('subscriber');
    return this.subscriberClient;
  }

  async runOn<T>(client: Redis, op: string, fn: (client: Redis) => Promise<T>): Promise<T> {
    await this.whenReady(client, op);
    try {
      const result = await fn(client);
      if (client === this.client) this.consecutiveTimeouts = 0;
      return result;
    } catch (error) {
      const mapped = toTgError(error, this.dependency, op, this.commandTimeoutMs);
      if (client === this.client) this.noteOutcome(mapped);
      throw mapped;
    }
  }

  /** PING through the main connection (supervisor probes). */
  async ping(): Promise<void> {
    await this.run('ping', (c) => c.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const clients = [this.client, this.subscriberClient].filter((c): c is Redis => c !== undefined);
    await Promise.all(clients.map((c) => closeClient(c)));
  }

  isClosed(): boolean {
    return this.closed;
  }

  /** Every open connection (main, and Pub/Sub once created) is connected and usable. */
  isReady(): boolean {
    const usable = (c: Redis) => c.status === 'ready' && c.stream?.writable === true;
    if (this.closed || !usable(this.client)) return false;
    return this.subscriberClient === undefined || usable(this.subscriberClient);
  }

  private create(role: ClientRole): Redis {
    const client = new Redis(this.url, {
      ...this.options,
      connectionName:
        role === 'subscriber' && this.options.connectionName
          ? `${this.options.connectionName}:sub`
          : this.options.connectionName,
    });
    // Without an 'error' listener ioredis would crash the process on the first refused connect.
    client.on('error', (error: Error & { code?: string }) => {
      if (this.closed || this.down[role]) return;
      this.down[role] = true;
      this.log.warn('redis connection lost; reconnecting in the background', {
        dependency: this.dependency,
        role,
        code: error.code ?? error.name,
      });
    });
    client.on('ready', () => {
      if (!this.down[role]) return;
      this.down[role] = false;
      this.log.info('redis connection restored', { dependency: this.dependency, role });
    });
    return client;
  }

  /**
   * Ready: go. A connect attempt in flight: wait for it, at most one command timeout (so the first
   * call after start does not fail spuriously). Waiting out a reconnect back-off: fail at once.
   */
  private whenReady(client: Redis, op: string): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError(op));
    const status = client.status;
    // 'ready' lasts until ioredis handles the socket's close; a peer that hung up is already unwritable.
    if (status === 'ready' && client.stream?.writable) return Promise.resolve();
    if (status !== 'connecting' && status !== 'connect') {
      // 'ready' with a dead socket, 'reconnecting' (back-off), 'close', 'end': down, fail at once.
      return Promise.reject(
        new TgError('TG_ERR_DEP_DOWN', `${this.dependency} is unreachable (${op}); reconnecting`, {
          dependency: this.dependency,
          op,
          status,
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const done = (error?: TgError) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('close', onClose);
        client.off('end', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () =>
        done(
          new TgError('TG_ERR_DEP_DOWN', `${this.dependency} refused the connection (${op})`, {
            dependency: this.dependency,
            op,
          }),
        );
      const timer = setTimeout(
        () =>
          done(
            new TgError(
              'TG_ERR_TIMEOUT',
              `${this.dependency} did not accept a connection within ${this.commandTimeoutMs} ms (${op})`,
              { dependency: this.dependency, op, timeoutMs: this.commandTimeoutMs },
            ),
          ),
        this.commandTimeoutMs,
      );
      client.on('ready', onReady);
      client.on('close', onClose);
      client.on('end', onClose);
    });
  }

  /** A socket that stopped answering (half-open TCP) is replaced rather than timed out forever. */
  private noteOutcome(error: TgError): void {
    if (error.code !== 'TG_ERR_TIMEOUT') return;
    this.consecutiveTimeouts += 1;
    if (this.consecutiveTimeouts >= TIMEOUTS_BEFORE_RECONNECT && !this.closed) {
      this.consecutiveTimeouts = 0;
      this.log.warn('redis stopped answering; reconnecting', { dependency: this.dependency });
      this.client.disconnect(true);
    }
  }

  private closedError(op: string): TgError {
    return new TgError('TG_ERR_DEP_DOWN', `${this.dependency} connection was closed (${op})`, {
      dependency: this.dependency,
      op,
      closed: true,
    });
  }
}

/** QUIT when connected (lets the server drop us cleanly), else just drop the socket. */
async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through
    }
  }
  client.disconnect(false);
}
