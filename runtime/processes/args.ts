// Command-line options of the live process commands: `--config FILE` everywhere, plus each
// command's own flags. Usage mistakes are TG_ERR_USAGE (exit 2), never a silent default.
import { TgError } from '../../machines/errors.ts';

export interface ParsedArgs {
  config?: string;
  /** Flags with a value (--name kis-1) and switches (--json: 'true'). */
  options: Record<string, string>;
  positional: string[];
}

/**
 * `valued`: options that take a value; `switches`: options without one. `--config` is always
 * accepted. `--opt=value` works for valued options.
 */
export function parseArgs(
  command: string,
  args: string[],
  spec: { valued?: string[]; switches?: string[]; positional?: number } = {},
): ParsedArgs {
  const valued = new Set(['config', ...(spec.valued ?? [])]);
  const switches = new Set(['help', ...(spec.switches ?? [])]);
  const out: ParsedArgs = { options: {}, positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h') {
      out.options.help = 'true';
      continue;
    }
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (switches.has(name) && eq < 0) out.options[name] = 'true';
    else if (valued.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '' || value.startsWith('--')) {
        throw new TgError('TG_ERR_USAGE', `${command}: --${name} needs a value`);
      }
      out.options[name] = value;
    } else {
      throw new TgError('TG_ERR_USAGE', `${command}: unknown option --${name}; see tickguard --help`);
    }
  }
  if (out.positional.length > (spec.positional ?? 0)) {
    throw new TgError(
      'TG_ERR_USAGE',
      `${command}: unexpected argument "${out.positional[spec.positional ?? 0]}"; see tickguard --help`,
    );
  }
  out.config = out.options.config;
  return out;
}
