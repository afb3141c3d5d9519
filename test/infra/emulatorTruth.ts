// The broker emulator's truth (GET /_emulator/truth/bars, DESIGN section 9) as minute bars with
// epoch-ms minutes, for tests and benches that compare what was stored against it.

export interface TruthBar {
  minute: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export async function emulatorTruthBars(emulatorUrl: string, symbol: string): Promise<TruthBar[]> {
  const res = await fetch(`${emulatorUrl}/_emulator/truth/bars?symbol=${symbol}`);
  const rows = (await res.json()) as (Omit<TruthBar, 'minute'> & { minute: string })[];
  return rows.map((b) => ({
    minute: Date.parse(b.minute),
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
  }));
}
