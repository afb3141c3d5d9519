// Process assembly of the writer (docs/INTERNALS.md): tick buffer -> store -> ack through WriterDrain,
// paced by the writer machine on the given clock, with heartbeats and state mirroring.
import { createActor, fromCallback, fromPromise, type ActorRefFrom } from 'xstate';
import type { BackoffPolicy } from '../machines/backoff.ts';
import {
  writerMachine,
  type DrainLoopInput,
  type DrainRequest,
  type WriterEvent,
} from '../machines/writer.ts';
import type { Clock } from '../ports/clock.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';
import type { StateMirror } from '../ports/stateMirror.ts';
import type { Store } from '../ports/store.ts';
import type { TickBuffer } from '../ports/tickBuffer.ts';
import {
  createHeartbeatSender,
  createStateReporter,
  seededRandom,
  statePath,
  type ComponentConfigSlice,
  type ComponentHandle,
} from './common.ts';
import { WriterDrain, startDrainLoop, type WriterDrainStats } from './writerDrain.ts';

export interface WriterDeps {
  clock: Clock;
  ports: { tickBuffer: TickBuffer; store: Store; heartbeats: Heartbeats; mirror: StateMirror };
  config: ComponentConfigSlice;
  /** Component id, default 'writer'. */
  name?: string;
  /** Consumer name in the `writer` group, default the component id. */
  consumer?: string;
  /** Entries per read; default 500 (an entry holds up to a few hundred batches). */
  batchSize?: number;
  /** Wait between reads of an empty buffer; default 100 ms. */
  pollIntervalMs?: number;
  /** Claim entries other consumers left pending this often (and this idle); default 5000 ms. */
  claimIntervalMs?: number;
  /** Back-off while a dependency is unreachable; default 100 ms doubling to 2 s, jitter 0.2. */
  retry?: BackoffPolicy;
  random?: () => number;
  /** Runs between store and ack (see WriterDrainDeps.afterStore); chaos tests only. */
  afterStore?: () => Promise<void>;
}

export interface WriterHandle extends ComponentHandle {
  actor: ActorRefFrom<typeof writerMachine>;
  stats(): WriterDrainStats & { held: number };
}

export const WRITER_DEFAULTS = {
  batchSize: 500,
  pollIntervalMs: 100,
  claimIntervalMs: 5000,
  retry: { baseMs: 100, maxMs: 2000, jitter: 0.2 } as BackoffPolicy,
};

export function startWriter(deps: WriterDeps): WriterHandle {
  const { clock, ports, config } = deps;
  const name = deps.name ?? 'writer';
  const now = () => clock.now();
  const drain = new WriterDrain({
    tickBuffer: ports.tickBuffer,
    store: ports.store,
    consumer: deps.consumer ?? name,
    batchSize: deps.batchSize ?? WRITER_DEFAULTS.batchSize,
    afterStore: deps.afterStore,
  });
  const beats = createHeartbeatSender(ports.heartbeats, config.heartbeatTimeoutMs);
  const reporter = createStateReporter(ports.mirror, name, now);
  let stopped = false;

  const machine = writerMachine.provide({
    actors: {
      drain: fromPromise(async ({ input }: { input: DrainRequest }) => drain.drainOnce(input)),
      drainLoop: fromCallback<WriterEvent, DrainLoopInput>(({ input, sendBack }) =>
        startDrainLoop(drain, clock, input, (error) => sendBack({ type: 'drain.failed', error })),
      ),
    },
    actions: {
      sendHeartbeat: ({ context }) => {
        beats.send({ component: name, at: now(), state: context.health });
        reporter.retry();
      },
      reportState: ({ context }, params) => reporter.report(params.state, params.detail, context.reason),
    },
  });

  const actor = createActor(machine, {
    clock,
    input: {
      name,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      pollIntervalMs: deps.pollIntervalMs ?? WRITER_DEFAULTS.pollIntervalMs,
      claimIntervalMs: deps.claimIntervalMs ?? WRITER_DEFAULTS.claimIntervalMs,
      retry: deps.retry ?? WRITER_DEFAULTS.retry,
      random: deps.random ?? seededRandom(name),
    },
  });
  actor.start();

  return {
    id: name,
    actor,
    stop() {
      if (stopped) return;
      stopped = true;
      actor.stop();
    },
    state: () => statePath(actor.getSnapshot().value),
    stats: () => ({ ...drain.stats(), held: drain.held() }),
  };
}
