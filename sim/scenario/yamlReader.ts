// Position-aware reading of a parsed YAML document: every value is read through a Field that knows
// its path ("faults[2].at") and line, so every validation error says file:line, field and what
// was expected. Scalars are read from their source text (YAML would turn 005930 into 5930).
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { TgError } from '../../machines/errors.ts';

export interface SourceContext {
  file: string;
  lines: LineCounter;
}

/** Parse YAML text; syntax errors become TG_ERR_SCENARIO with the line. */
export function readYaml(text: string, file: string): Field {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const ctx: SourceContext = { file, lines };
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = lines.linePos(err.pos[0]).line;
    const message = err.message.split('\n')[0];
    throw new TgError('TG_ERR_SCENARIO', `${file}:${line} YAML syntax: ${message}`, { file, line });
  }
  return new Field(ctx, (doc.contents as Node | null) ?? null, '', 1);
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing';
    const source = node.source ?? String(node.value);
    return typeof node.value === 'string' ? JSON.stringify(source) : source;
  }
  return 'an unsupported value';
}

export class Field {
  readonly ctx: SourceContext;
  readonly node: Node | null;
  readonly path: string;
  private readonly fallbackLine: number;

  constructor(ctx: SourceContext, node: Node | null, path: string, fallbackLine: number) {
    this.ctx = ctx;
    this.node = node;
    this.path = path;
    this.fallbackLine = fallbackLine;
  }

  line(): number {
    const start = this.node?.range?.[0];
    return start === undefined ? this.fallbackLine : this.ctx.lines.linePos(start).line;
  }

  present(): boolean {
    return this.node !== null && !(isScalar(this.node) && this.node.value === null);
  }

  /** Throw TG_ERR_SCENARIO: "file:line path: message". */
  error(message: string, line = this.line()): never {
    const where = this.path ? ` ${this.path}:` : '';
    throw new TgError('TG_ERR_SCENARIO', `${this.ctx.file}:${line}${where} ${message}`, {
      file: this.ctx.file,
      line,
      field: this.path,
    });
  }

  /** "expected X, got Y" (or "missing, expected X"). */
  expected(what: string): never {
    if (!this.present()) this.error(`missing, expected ${what}`);
    this.error(`expected ${what}, got ${describe(this.node)}`);
  }

  isMap(): boolean {
    return this.node !== null && isMap(this.node);
  }

  isSeq(): boolean {
    return this.node !== null && isSeq(this.node);
  }

  /** Source text of a scalar (unquoted), or undefined for maps, lists and nulls. */
  scalarText(): string | undefined {
    if (this.node === null || !isScalar(this.node) || this.node.value === null) return undefined;
    return this.node.source ?? String(this.node.value);
  }

  scalarValue(): unknown {
    return this.node !== null && isScalar(this.node) ? this.node.value : undefined;
  }

  string(what = 'a string'): string {
    const text = this.scalarText();
    if (text === undefined || text === '') this.expected(what);
    return text;
  }

  number(what = 'a number'): number {
    const value = this.scalarValue();
    if (typeof value !== 'number' || !Number.isFinite(value)) this.expected(what);
    return value;
  }

  integer(min: number, what = min > 0 ? 'a positive integer' : 'a whole number >= 0'): number {
    const value = this.scalarValue();
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) this.expected(what);
    return value;
  }

  /** The entries of a map, checking keys against `allowed` (when given). */
  map(what: string, allowed?: readonly string[]): MapReader {
    if (this.node === null || !isMap(this.node)) this.expected(what);
    return new MapReader(this, this.node as YAMLMap, allowed);
  }

  list(what: string): Field[] {
    if (this.node === null || !isSeq(this.node)) this.expected(what);
    return (this.node as { items: unknown[] }).items.map(
      (item, i) => new Field(this.ctx, (item as Node) ?? null, `${this.path}[${i}]`, this.line()),
    );
  }

  /** Plain JS value of the node (for free-form maps such as `config`). */
  toJS(): unknown {
    return this.node === null ? undefined : (this.node as { toJSON(): unknown }).toJSON();
  }
}

export class MapReader {
  readonly field: Field;
  private readonly entries = new Map<string, { key: Field; value: Field }>();

  constructor(field: Field, map: YAMLMap, allowed?: readonly string[]) {
    this.field = field;
    for (const pair of map.items as Pair<Node, Node>[]) {
      const keyNode = (pair.key as Node | null) ?? null;
      const keyText = keyNode && isScalar(keyNode) ? String(keyNode.source ?? keyNode.value) : undefined;
      const prefix = field.path ? `${field.path}.` : '';
      const keyField: Field = new Field(field.ctx, keyNode, `${prefix}${keyText ?? '?'}`, field.line());
      if (keyText === undefined) keyField.error('keys must be plain names');
      if (allowed && !allowed.includes(keyText)) {
        keyField.error(`unknown key "${keyText}" (expected one of: ${allowed.join(', ')})`);
      }
      const value = new Field(field.ctx, (pair.value as Node | null) ?? null, keyField.path, keyField.line());
      this.entries.set(keyText, { key: keyField, value });
    }
  }

  has(key: string): boolean {
    return this.entries.get(key)?.value.present() ?? false;
  }

  /** The value at `key`; a missing key yields an empty Field located at the map. */
  get(key: string): Field {
    const entry = this.entries.get(key);
    if (entry) return entry.value;
    const prefix = this.field.path ? `${this.field.path}.` : '';
    return new Field(this.field.ctx, null, `${prefix}${key}`, this.field.line());
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  keyField(key: string): Field | undefined {
    return this.entries.get(key)?.key;
  }
}
