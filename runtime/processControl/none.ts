// ProcessControl for a standalone supervisor (docker compose): it cannot start or stop containers,
// Docker's restart policy brings exited processes back. It reports nothing it cannot see: no
// lifecycle events, and a restart request fails with a coded reason instead of pretending.
import { TgError } from '../../machines/errors.ts';
import type { ProcessControl } from '../../ports/processControl.ts';

export function createNoProcessControl(): ProcessControl {
  return {
    async restart(component) {
      throw new TgError(
        'TG_ERR_CONFIG',
        `cannot restart ${component}: this supervisor has no process control (restarts are left to the platform's restart policy; "tickguard up" runs the processes as its children)`,
        { component },
      );
    },
    onLifecycle: () => () => {},
  };
}
