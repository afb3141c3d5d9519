// The 46 fields of one KIS H0STCNT0 (real-time KRX trade) record, in wire order (OTA ccnl_krx.py),
// so encoder and decoder address fields by name and never by a hand-typed index.

export const H0STCNT0_FIELDS = [
  'MKSC_SHRN_ISCD', // 0 symbol
  'STCK_CNTG_HOUR', // 1 HHMMSS
  'STCK_PRPR', // 2 price
  'PRDY_VRSS_SIGN', // 3 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down
  'PRDY_VRSS', // 4 change vs previous close (signed)
  'PRDY_CTRT', // 5 change rate %
  'WGHN_AVRG_STCK_PRC', // 6 volume-weighted average price
  'STCK_OPRC', // 7 open of day
  'STCK_HGPR', // 8 high of day
  'STCK_LWPR', // 9 low of day
  'ASKP1', // 10
  'BIDP1', // 11
  'CNTG_VOL', // 12 trade quantity
  'ACML_VOL', // 13 cumulative volume of the day
  'ACML_TR_PBMN', // 14 cumulative traded value
  'SELN_CNTG_CSNU', // 15 seller-initiated trade count
  'SHNU_CNTG_CSNU', // 16 buyer-initiated trade count
  'NTBY_CNTG_CSNU', // 17 16 - 15
  'CTTR', // 18 strength: SHNU_CNTG_SMTN / SELN_CNTG_SMTN * 100
  'SELN_CNTG_SMTN', // 19 seller-initiated volume
  'SHNU_CNTG_SMTN', // 20 buyer-initiated volume
  'CCLD_DVSN', // 21 1 buy(+), 3 pre-market, 5 sell(-)
  'SHNU_RATE', // 22
  'PRDY_VOL_VRSS_ACML_VOL_RATE', // 23 cumulative volume vs previous day %
  'OPRC_HOUR', // 24
  'OPRC_VRSS_PRPR_SIGN', // 25
  'OPRC_VRSS_PRPR', // 26 price - open
  'HGPR_HOUR', // 27
  'HGPR_VRSS_PRPR_SIGN', // 28
  'HGPR_VRSS_PRPR', // 29 price - high
  'LWPR_HOUR', // 30
  'LWPR_VRSS_PRPR_SIGN', // 31
  'LWPR_VRSS_PRPR', // 32 price - low
  'BSOP_DATE', // 33 YYYYMMDD
  'NEW_MKOP_CLS_CODE', // 34
  'TRHT_YN', // 35 trading halt
  'ASKP_RSQN1', // 36
  'BIDP_RSQN1', // 37
  'TOTAL_ASKP_RSQN', // 38
  'TOTAL_BIDP_RSQN', // 39
  'VOL_TNRT', // 40 turnover %
  'PRDY_SMNS_HOUR_ACML_VOL', // 41 previous day's cumulative volume at the same time
  'PRDY_SMNS_HOUR_ACML_VOL_RATE', // 42
  'HOUR_CLS_CODE', // 43 0 regular, A after-hours expected, B pre-open expected, C VI, D off-hours single price
  'MRKT_TRTM_CLS_CODE', // 44 (empty in observed frames)
  'VI_STND_PRC', // 45 VI reference price
] as const;

export type H0stcnt0Field = (typeof H0STCNT0_FIELDS)[number];

export const H0STCNT0_FIELD_COUNT = H0STCNT0_FIELDS.length;

export const H0STCNT0_INDEX = Object.fromEntries(H0STCNT0_FIELDS.map((name, i) => [name, i])) as Record<
  H0stcnt0Field,
  number
>;

export const H0STCNT0 = 'H0STCNT0';

/** NNN, the record count of a data frame, has three digits. */
export const KIS_MAX_RECORDS_PER_FRAME = 999;
