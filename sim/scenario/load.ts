// Loading scenario files from paths given on the command line: files as named, directories as all
// their *.yaml / *.yml files in name order. Missing paths are TG_ERR_SCENARIO errors.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TgError } from '../../machines/errors.ts';
import { parseScenario } from './parse.ts';
import type { Scenario } from './types.ts';

/** The scenario files behind `paths` (files kept in the given order, directories expanded). */
export function scenarioFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new TgError('TG_ERR_SCENARIO', `${path}: no such file or directory`, { file: path });
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const inDir = readdirSync(path)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => join(path, name));
    if (inDir.length === 0)
      throw new TgError('TG_ERR_SCENARIO', `${path}: no *.yaml scenario files`, { file: path });
    files.push(...inDir);
  }
  return files;
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TgError('TG_ERR_SCENARIO', `${file}: cannot read the file`, { file });
  }
  return parseScenario(text, file);
}

/** Parse every scenario behind `paths`; the first bad file stops with its coded error. */
export function loadScenarios(paths: string[]): Scenario[] {
  const scenarios = scenarioFiles(paths).map(loadScenarioFile);
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const other = seen.get(s.name);
    if (other) {
      throw new TgError('TG_ERR_SCENARIO', `${s.file}: scenario name "${s.name}" is also used by ${other}`, {
        file: s.file,
      });
    }
    seen.set(s.name, s.file ?? s.name);
  }
  return scenarios;
}
