// Run by the target Node at build time: `node runtime-cache.cjs <main.cjs> <output> [<script name>]`
// writes the V8 code cache of the runtime bundle compiled as templates/sea-loader.ts compiles it
// (or of the hooks bundle of a module.register() thread, under its own name: runtime-script.ts), with
// every function compiled (--no-lazy), so that a start deserializes them instead of compiling them.
// Only compiled, never run.
import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { RUNTIME_SCRIPT_NAME, wrapRuntime } from '../src/runtime/runtime-script.js';

const [file, output, name = RUNTIME_SCRIPT_NAME] = process.argv.slice(2) as [string, string, string?];
setFlagsFromString('--no-lazy');
const script = new Script(wrapRuntime(readFileSync(file, 'utf8')), { filename: name });
// A cache records the flags it was made under; a start runs with the default ones.
setFlagsFromString('--lazy');
writeFileSync(output, script.createCachedData());
