// Where a config value came from: the YAML file (with the line of every path) or an environment
// variable. Every validation error names that origin, so "TG_ERR_CONFIG x.yaml:12 brokers.kis.wsUrl"
// or "env KIS_WS_URL" tells the user exactly what to fix. Values are never echoed (secrets).
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { TgError } from '../../machines/errors.ts';

/** A parsed YAML document: plain JS value plus the line and source text of every path. */
export class ConfigSource {
  readonly file: string | undefined;
  readonly value: unknown;
  private readonly lines = new Map<string, number>();
  private readonly sources = new Map<string, string>();

  constructor(file: string | undefined, text: string | undefined) {
    this.file = file;
    if (text === undefined) {
      this.value = {};
      return;
    }
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const line = counter.linePos(err.pos[0]).line;
      // The YAML library quotes the offending text; keep only its first line, which names the problem.
      const what = err.message.split('\n')[0].replace(/ at line \d+.*$/, '');
      throw new TgError('TG_ERR_CONFIG', `${file ?? 'config'}:${line} YAML syntax: ${what}`, { file, line });
    }
    const walk = (node: Node | null, path: string): unknown => {
      if (node === null) return undefined;
      if (node.range) this.lines.set(path, counter.linePos(node.range[0]).line);
      if (isMap(node)) {
        const out: Record<string, unknown> = {};
        for (const pair of node.items as Pair<Node, Node>[]) {
          const k = pair.key;
          // A code such as 005930 as a key: keep its text, not the number YAML reads.
          const key = !isScalar(k)
            ? '?'
            : typeof k.value === 'number' && k.source
              ? k.source
              : String(k.value);
          const child = path ? `${path}.${key}` : key;
          if (pair.key?.range) this.lines.set(child, counter.linePos(pair.key.range[0]).line);
          out[key] = walk((pair.value as Node | null) ?? null, child);
        }
        return out;
      }
      if (isSeq(node)) return node.items.map((item, i) => walk(item as Node, `${path}[${i}]`));
      if (isScalar(node)) {
        if (node.source !== undefined) this.sources.set(path, node.source);
        return node.value ?? undefined;
      }
      return undefined;
    };
    this.value = walk((doc.contents as Node | null) ?? null, '');
  }

  lineOf(path: string): number | undefined {
    for (let p = path; p; p = parentPath(p)) {
      const line = this.lines.get(p);
      if (line !== undefined) return line;
    }
    return undefined;
  }

  /** The scalar's text as written (YAML reads 005930 as the number 5930; symbol codes need the text). */
  sourceOf(path: string): string | undefined {
    return this.sources.get(path);
  }

  /** "x.yaml:12 brokers.kis.wsUrl" (or just the path when there is no file). */
  where(path: string): string {
    if (this.file === undefined) return `config ${path}`;
    const line = this.lineOf(path);
    return `${this.file}${line === undefined ? '' : `:${line}`} ${path}`;
  }
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

/** Never echo strings (a misplaced secret must not reach an error message); numbers are safe. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `a ${typeof v}`;
}

/** A value's origin: a path in the YAML file or an environment variable. */
export type Origin = { kind: 'file'; source: ConfigSource; path: string } | { kind: 'env'; name: string };

export function originText(origin: Origin): string {
  return origin.kind === 'env' ? `env ${origin.name}` : origin.source.where(origin.path);
}

export function configError(origin: Origin, message: string, fix?: string): TgError {
  const details: Record<string, unknown> =
    origin.kind === 'env'
      ? { env: origin.name, field: origin.name }
      : { field: origin.path, file: origin.source.file, line: origin.source.lineOf(origin.path) };
  return new TgError(
    'TG_ERR_CONFIG',
    `${originText(origin)} ${message}${fix ? `; fix: ${fix}` : ''}`,
    details,
  );
}
