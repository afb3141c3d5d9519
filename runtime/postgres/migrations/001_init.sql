-- tickguard tables (DESIGN section 9), created in the store's schema (the runner sets search_path).
-- ticks: one row per trade; the trade's identity is (symbol, trading day, cumulative volume), which
-- makes every write idempotent and lets two feeds of one symbol merge. The key contains `day`, the
-- column TimescaleDB partitions on (002), so it stays a valid unique key on a hypertable.
CREATE TABLE IF NOT EXISTS ticks (
  symbol text COLLATE "C" NOT NULL,
  day date NOT NULL,
  cum_volume bigint NOT NULL,
  ts timestamptz NOT NULL,
  price double precision NOT NULL,
  volume bigint NOT NULL,
  collector text NOT NULL,
  CONSTRAINT ticks_pkey PRIMARY KEY (symbol, day, cum_volume)
);

-- bars_1m: minute bars built from newly inserted ticks in the same transaction, or back-filled from
-- the broker. open_cum/close_cum (hidden from the port) are the cumulative volumes of the ticks that
-- set open and close, so a bar comes out the same whatever order its ticks arrive in; NULL on
-- back-filled bars, which later ticks never change.
CREATE TABLE IF NOT EXISTS bars_1m (
  symbol text COLLATE "C" NOT NULL,
  minute timestamptz NOT NULL,
  open double precision NOT NULL,
  high double precision NOT NULL,
  low double precision NOT NULL,
  close double precision NOT NULL,
  volume bigint NOT NULL,
  source text NOT NULL CHECK (source IN ('ticks', 'backfill')),
  open_cum bigint,
  close_cum bigint,
  CONSTRAINT bars_1m_pkey PRIMARY KEY (symbol, minute)
);

-- gaps: the durable gap ledger (DESIGN section 7), the source of truth for the recovery worker.
CREATE TABLE IF NOT EXISTS gaps (
  id text COLLATE "C" PRIMARY KEY,
  collector text NOT NULL,
  symbol text COLLATE "C" NOT NULL,
  start timestamptz NOT NULL,
  "end" timestamptz,
  status text NOT NULL CHECK (status IN ('open', 'pending', 'recovering', 'recovered', 'unrecoverable')),
  priority double precision NOT NULL,
  recovered_until timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  reason text
);
CREATE INDEX IF NOT EXISTS gaps_status_idx ON gaps (status);

-- symbols: previous session's volume per symbol (dispatch priority); NULL when not currently set.
CREATE TABLE IF NOT EXISTS symbols (
  symbol text COLLATE "C" PRIMARY KEY,
  name text,
  prev_volume bigint
);
