// Local-disk adapters: the collector's tick spool and the supervisor's event outbox.
export { FileSpool, type FileSpoolOptions, type FileSpoolStats } from './fileSpool.ts';
export { FileOutboxStore } from './fileOutbox.ts';
export { parseSpool, frameRecord } from './spoolRecords.ts';
