// A benchmark's admin connection to PostgreSQL: a server it just started accepts TCP a moment before
// it accepts sessions, so connecting retries for a few seconds instead of failing the run.
import pg from 'pg';

export async function connectWhenUp(url: string): Promise<pg.Client> {
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return client;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
