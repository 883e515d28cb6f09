// The entry table's codes: operations, what a gzip entry's content is diffed against, and the
// per-file digest's length. In their own module so that table.ts and its plain reader
// (table-plain.ts) both take them without importing each other.
export const OP_REF = 0;
export const OP_BSDIFF = 1;
export const OP_LITERAL = 2;
/** A gzip member rebuilt from its content (format 2): see gzip-entry.ts. */
export const OP_GZIP = 3;

/** What the content of an OP_GZIP entry is bsdiffed against. */
export const GZ_BASE_NONE = 0;
export const GZ_BASE_RAW = 1;
export const GZ_BASE_INFLATED = 2;
export type GzipBase = typeof GZ_BASE_NONE | typeof GZ_BASE_RAW | typeof GZ_BASE_INFLATED;

/**
 * Per-file check: the first 8 bytes of the file's sha256. The whole output is checked against
 * its full sha256 anyway; per file, 64 bits catch a wrong rebuild as surely and cost 24 bytes
 * less per changed file (tzdata changes ~500 small files: 12 KB of incompressible digest).
 */
export const FILE_DIGEST_BYTES = 8;
