/**
 * `oxpack/runtime`: what a launcher needs to run packed resources on an installed Node, without the
 * build half (parser, globbing, postject).
 *
 *   import { Finder } from 'oxpack/runtime';
 *   const finder = new Finder();
 *   finder.indexFile(new URL('./app.oxres', import.meta.url).pathname);
 *   finder.run();
 */
export { Finder, type PackedResource } from './finder.js';
export type { FinderOptions } from '../runtime/finder.js';
export { PackedIndex, type IndexOptions, type Verification } from '../format/reader.js';
export { FormatError, FORMAT_VERSION, type PackedMeta, type ResourceKind } from '../format/layout.js';
