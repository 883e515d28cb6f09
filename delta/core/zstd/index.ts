export { BlockScratch } from './block-scratch.js';
export { ZstdDecoder } from './decoder.js';
export { type FrameHeader, MAX_BLOCK, parseBlockHeader, parseFrameHeader, ZSTD_MAGIC } from './frame.js';
export { CODEC_STORED, CODEC_ZSTD, StreamReader, type StreamSpec } from './reader.js';
