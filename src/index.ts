/**
 * oxpack's library API. The build half turns an app into packed resources and an executable; the run
 * half (Finder) indexes packed resources and serves require, import and fs from them.
 */
export { build, type BuildOptions, type BuildResult, type BuildEvent, type BuildStep, type PackageSummary } from './build/build.js';
export { ResourceCollector, type Resource, type ResourceLocation, type FileInstall, type OxidizedResources } from './build/collector.js';
export type { Diagnostic, Severity } from './build/diagnostics.js';
export { findResourcesInPath, type FindOptions } from './api/find-resources.js';
export { Finder, type PackedResource } from './api/finder.js';
export type { FinderOptions } from './runtime/finder.js';
export { PackedIndex, type IndexOptions, type Verification } from './format/reader.js';
export { serializeResources } from './format/writer.js';
export { FormatError, FORMAT_VERSION, type ResourceKind, type PackedMeta } from './format/layout.js';
export { OxpackError } from './errors.js';
