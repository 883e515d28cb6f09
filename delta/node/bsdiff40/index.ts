export { DEFAULT_BSDIFF40_LIMITS, readBsdiff40, writeBsdiff40 } from './bsdiff40-file.js';
export { bzip2Compress } from './bzip2-host.js';
