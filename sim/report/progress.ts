// Progress of a long `tickguard sim` run on stderr, only when stderr is a terminal (CI logs and
// piped output stay clean). One line, rewritten in place.

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  /** Scenario `index` (0-based) of `total` starts. */
  start(index: number, name: string): void;
  /** Fraction (0..1) of the current scenario's virtual time done. */
  update(fraction: number): void;
  done(): void;
}

export function createProgress(total: number, stream: ProgressStream = process.stderr): Progress {
  if (!stream.isTTY) return { start() {}, update() {}, done() {} };
  let label = '';
  let last = -1;
  const draw = (fraction: number) => {
    const pct = Math.floor(fraction * 100);
    if (pct === last) return;
    last = pct;
    stream.write(`\r\x1b[2K${label} ${pct}%`);
  };
  return {
    start(index, name) {
      label = `[${index + 1}/${total}] ${name}`;
      last = -1;
      draw(0);
    },
    update: draw,
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}
