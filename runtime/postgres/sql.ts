// Identifier quoting and the epoch-ms <-> timestamptz conversions every store query shares.
import { TgError } from '../../machines/errors.ts';

/** Schema names we accept: plain identifiers (they also end up in advisory-lock keys and logs). */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function validateSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new TgError(
      'TG_ERR_CONFIG',
      `postgres schema '${schema}' is not a plain identifier; use letters, digits and _ (at most 63)`,
      { field: 'schema' },
    );
  return schema;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL for a timestamptz from an epoch-ms parameter (exact: ms * 1000 stays below 2^53). */
export const tsFromMs = (param: string): string =>
  `(timestamptz 'epoch' + ${param}::float8 * interval '1 millisecond')`;

/** SQL for the epoch ms of a timestamptz column, as float8 (a JS number). */
export const msFromTs = (column: string): string => `(extract(epoch from ${column}) * 1000)::float8`;
