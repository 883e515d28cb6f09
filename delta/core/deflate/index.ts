export { GZIP_LEVELS, gzipDeflate } from './deflate.js';
export { crc32, type GzipRecipe, gunzipMember, gzipHeaderLength, gzipRebuild, gzipRecipe } from './gzip.js';
export { type InflateResult, inflateRaw } from './inflate.js';
