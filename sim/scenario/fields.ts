// Field readers for scenario value syntax shared by the parser's sections: KST clock times and
// durations, with the file:line error wording of yamlReader.ts.
import { parseClock, parseDuration } from './units.ts';
import type { Field } from './yamlReader.ts';

/** A "HH:MM[:SS]" KST field. */
export function clockField(field: Field): { hhmmss: string; secondsOfDay: number } {
  const text = field.scalarText();
  const parsed = text === undefined ? undefined : parseClock(text);
  if (!parsed) field.expected('"HH:MM:SS" KST');
  return parsed;
}

/** A duration field ("10s", "2m", "800ms", "1h"). */
export function durationField(field: Field): number {
  const text = field.scalarText();
  const ms = text === undefined ? undefined : parseDuration(text);
  if (ms === undefined) field.expected('a duration such as 800ms, 10s, 2m or 1h');
  return ms;
}
