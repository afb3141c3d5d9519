-- tg:requires timescaledb
-- tg:no-transaction
-- A continuous aggregate must bucket the hypertable's partitioning column (day), so it is daily:
-- per-session OHLCV from the stored ticks (prev_volume for dispatch, daily audits). Minute bars stay
-- in bars_1m, written in the same transaction as the ticks, because back-filled bars must replace
-- tick-built ones, which no aggregate over ticks can express.
CREATE MATERIALIZED VIEW IF NOT EXISTS bars_1d_cagg
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
  symbol,
  time_bucket(INTERVAL '1 day', day) AS day,
  first(price, cum_volume) AS open,
  max(price) AS high,
  min(price) AS low,
  last(price, cum_volume) AS close,
  sum(volume) AS volume,
  count(*) AS trades
FROM ticks
GROUP BY symbol, time_bucket(INTERVAL '1 day', day)
WITH NO DATA;
SELECT add_continuous_aggregate_policy(
  'bars_1d_cagg',
  start_offset => INTERVAL '7 days',
  end_offset => NULL,
  schedule_interval => INTERVAL '5 minutes',
  if_not_exists => true
);
