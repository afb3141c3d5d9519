-- tg:requires timescaledb
-- ticks becomes a hypertable partitioned by trading day. Every unique index of a hypertable must
-- contain its partitioning column; the trade key (symbol, day, cum_volume) does, so idempotence
-- stays exactly the key DESIGN section 4 names (partitioning by ts would force ts into the key, and
-- the same trade stamped differently by two feeds would then be stored twice).
SELECT create_hypertable(
  'ticks',
  'day',
  chunk_time_interval => INTERVAL '1 day',
  migrate_data => true,
  if_not_exists => true
);
