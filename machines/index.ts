// The machines of tickguard in one place (docs/INTERNALS.md "Component machines"), plus the pure
// configuration and detection helpers that assemblies and tools need alongside them.
export { collectorMachine } from './collector.ts';
export { writerMachine } from './writer.ts';
export { recoveryWorkerMachine } from './recoveryWorker.ts';
export { gatekeeperMachine } from './gatekeeper.ts';
export { supervisorMachine, type SupervisorContext } from './supervisor.ts';
export {
  healthViewMachine,
  type HealthViewEvent,
  type HealthViewInput,
  type ViewChangedEvent,
} from './healthView.ts';
export { viewMirrorKey, type SupervisorEvent, type SupervisorInput } from './supervisorTypes.ts';
export {
  collectorId,
  componentKind,
  defaultConfig,
  isCollectorId,
  isRestartable,
  validateConfig,
  withCollectors,
  type ComponentSpec,
  type RestartPolicy,
  type TgConfig,
} from './config.ts';
export {
  buildDependencyGraph,
  dependentsOf,
  hardDepsDown,
  topologicalOrder,
  type DependencyGraph,
} from './dependencyGraph.ts';
