#!/usr/bin/env node
// The `tickguard` command: registers the TypeScript loader, then hands argv to the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../runtime/cli.ts');
process.exitCode = await main(process.argv.slice(2));
