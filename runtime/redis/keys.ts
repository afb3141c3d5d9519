// Redis key layout of tickguard (DESIGN section 9), derived from one prefix ('tg:' by default), so
// tests isolate themselves with a random prefix and `redis-cli` users find everything under tg:*.

export interface RedisKeys {
  prefix: string;
  /** String with PX ttl: the last beat of one component. */
  heartbeat(component: string): string;
  /** Sorted set: component -> time of its last beat (also remembers components that went silent). */
  heartbeatIndex: string;
  /** Hash: the mirrored state of one actor. */
  state(actor: string): string;
  /** Set of mirrored actor ids, so `all()` needs no KEYS/SCAN. */
  stateIndex: string;
  /** Pub/Sub channel announcing every mirrored state change. */
  stateChannel: string;
  /** Pub/Sub channel of lifecycle events (at-most-once). */
  eventChannel: string;
  /** Stream: the durable event log (consumer groups, ack, claim). */
  eventLog: string;
  /** Stream of one collector's tick entries, read by the consumer group `writer`. */
  ticks(collector: string): string;
  /** The collector name of a tick stream key (inverse of `ticks`). */
  collectorOf(ticksKey: string): string;
  /** Set of collectors that ever appended, so the writer reads every stream without SCAN. */
  tickIndex: string;
  /** Stream of tick entries that can never be decoded, moved aside instead of silently dropped. */
  tickDeadLetter: string;
  /** String "{owner}|{token}" with PX ttl: who leads among several processes of one role. */
  lease(role: string): string;
}

export function redisKeys(prefix = 'tg:'): RedisKeys {
  const ticksPrefix = `${prefix}ticks:`;
  return {
    prefix,
    heartbeat: (component) => `${prefix}hb:${component}`,
    heartbeatIndex: `${prefix}hb`,
    state: (actor) => `${prefix}state:${actor}`,
    // Keys and channels are separate namespaces in Redis: `tg:state` is both the index and the channel.
    stateIndex: `${prefix}state`,
    stateChannel: `${prefix}state`,
    eventChannel: `${prefix}events`,
    eventLog: `${prefix}events:log`,
    ticks: (collector) => `${ticksPrefix}${collector}`,
    collectorOf: (key) => key.slice(ticksPrefix.length),
    tickIndex: `${prefix}ticks`,
    tickDeadLetter: `${prefix}deadletter:ticks`,
    lease: (role) => `${prefix}lease:${role}`,
  };
}
