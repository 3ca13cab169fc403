// The runtime's entry: the main script of every packed executable, and the script `oxpack run` starts
// with a resources file as its first argument. Bundled by scripts/build.mjs into dist/templates/main.cjs,
// CommonJS with Node built-ins only (a SEA main script's require loads nothing else).
import { runMain } from '../src/runtime/main.js';

runMain({ runtimeFile: __filename });
