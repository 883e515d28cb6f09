export { detectTar } from './detect.js';
export { BLOCK, checksumOk, parseHeader, parsePax, readNumber, type TarHeader } from './header.js';
export { type DataRegion, scanTar, scanTarSpans, type TarLayout, type TarSpans } from './layout.js';
export { type TarEntry, type TarEvents, TarParser, type TarParserLimits } from './parser.js';
