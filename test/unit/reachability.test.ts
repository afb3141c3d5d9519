// Reachability of every declared state of the health view and the supervisor, found by graph search
// (xstate/graph over pure transitions) and then replayed on a live actor, which must agree.
import { createActor, SimulatedClock, type AnyStateMachine } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../machines/config.ts';
import { detectionParams } from '../../machines/detection.ts';
import { healthViewMachine } from '../../machines/healthView.ts';
import { supervisorMachine } from '../../machines/supervisor.ts';

type Ev = { type: string; [k: string]: unknown };

/** Dotted leaf paths of a machine's definition ('running.heartbeats.blind'). */
function leafStates(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: { key: string; states: Record<string, any>; type: string }, path: string[]) => {
    const children = Object.values(node.states);
    if (children.length === 0) out.push(path.join('.'));
    for (const child of children) walk(child, [...path, child.key]);
  };
  walk(machine.root as never, []);
  return out.sort();
}

function leaves(value: unknown, prefix: string[] = []): string[] {
  if (typeof value === 'string') return [[...prefix, value].join('.')];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, [...prefix, k]));
}

function explore(machine: AnyStateMachine, input: unknown, events: Ev[]) {
  const paths = getShortestPaths(machine, {
    input,
    events: events as never,
    serializeState: (s: { value: unknown }) => JSON.stringify(s.value),
  } as never);
  return paths.map((p) => ({
    value: p.state.value,
    events: p.steps.map((s) => s.event as Ev).filter((e) => e.type !== 'xstate.init'),
  }));
}

/** Replay a found path on a real actor: it must end in the same state. */
function replay(machine: AnyStateMachine, input: unknown, events: Ev[]) {
  const actor = createActor(machine, { input, clock: new SimulatedClock() } as never);
  actor.start();
  for (const e of events) actor.send(e as never);
  const value = actor.getSnapshot().value;
  actor.stop();
  return value;
}

const params = detectionParams(defaultConfig());
const viewInput = (kind: 'process' | 'infrastructure') => ({
  component: kind === 'process' ? 'writer' : 'redis-main',
  kind,
  collector: false,
  params,
  failedRecoveryMs: 60_000,
  now: () => 0,
});
const viewEvents: Ev[] = [
  { type: 'HEARTBEAT', payload: { component: 'writer', at: 1, state: 'healthy' } },
  { type: 'HEARTBEAT', payload: { component: 'writer', at: 2, state: 'degraded' } },
  { type: 'PROCESS_EXITED', at: 3 },
  { type: 'PROCESS_STARTED', at: 4 },
  { type: 'PROBE_FAILED', at: 5, reason: 'ECONNREFUSED' },
  { type: 'PROBE_OK', at: 6 },
  { type: 'FAIL', at: 7, reason: 'restart intensity exceeded' },
  { type: 'RESET', at: 8 },
];

describe('health view reachability', () => {
  it('reaches every state except the transient init, and a live actor agrees with each path', () => {
    const declared = leafStates(healthViewMachine);
    expect(declared).toEqual(['degraded', 'down', 'failed', 'healthy', 'init', 'recovering']);
    const reached = new Set<string>();
    for (const kind of ['process', 'infrastructure'] as const) {
      for (const path of explore(healthViewMachine, viewInput(kind), viewEvents)) {
        reached.add(path.value as string);
        expect(replay(healthViewMachine, viewInput(kind), path.events)).toEqual(path.value);
      }
    }
    expect([...reached].sort()).toEqual(declared.filter((s) => s !== 'init'));
  });

  it('judges infrastructure through every state but failed by probes alone', () => {
    const reached = explore(
      healthViewMachine,
      viewInput('infrastructure'),
      viewEvents.filter((e) => e.type.startsWith('PROBE')),
    );
    expect(reached.map((p) => p.value).sort()).toEqual(['degraded', 'down', 'healthy', 'recovering']);
  });
});

describe('supervisor reachability', () => {
  const input = { config: defaultConfig(), now: () => 0, random: () => 0.5, idPrefix: 'sup' };
  const gk = (to: string) => ({
    type: 'VIEW_CHANGED',
    component: 'redis-gatekeeper',
    from: 'healthy',
    to,
    at: 0,
    reason: 'probe',
    initial: false,
  });
  const events: Ev[] = [
    { type: 'REGISTRY_READ', at: 0 },
    { type: 'REGISTRY_UNREACHABLE', at: 0 },
    {
      type: 'VIEW_CHANGED',
      component: 'redis-main',
      from: 'degraded',
      to: 'down',
      at: 0,
      reason: 'probe',
      initial: false,
    },
    gk('down'),
    gk('healthy'),
  ];

  it('reaches both heartbeat modes and both gatekeeper modes in every combination', () => {
    const paths = explore(supervisorMachine, input, events);
    const reached = paths.flatMap((p) => leaves(p.value)).sort();
    expect([...new Set(reached)]).toEqual([
      'running.gatekeeper.global',
      'running.gatekeeper.local',
      'running.heartbeats.blind',
      'running.heartbeats.sighted',
    ]);
    expect(paths).toHaveLength(4);
    for (const path of paths) expect(replay(supervisorMachine, input, path.events)).toEqual(path.value);
  });

  it('reaches misconfigured from a bad config, and never rests in the transient checking state', () => {
    const bad = explore(supervisorMachine, { ...input, config: { heartbeatIntervalMs: -1 } }, events);
    expect(bad.map((p) => p.value)).toEqual(['misconfigured']);
    const declared = leafStates(supervisorMachine);
    const reached = new Set(
      [...bad, ...explore(supervisorMachine, input, events)].flatMap((p) => leaves(p.value)),
    );
    expect(declared.filter((s) => !reached.has(s))).toEqual(['checking']);
  });
});
