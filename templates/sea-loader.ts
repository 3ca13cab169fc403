// The main script of a packed executable. Node's SEA code cache holds only a script's top level, so
// every function the runtime calls at start would be compiled anew at every start; instead this
// compiles the runtime bundle (a SEA asset) with the code cache the build made of all its functions
// and runs it (runtime-script.ts startRuntime, which worker threads run too).
import { getRawAsset } from 'node:sea';
import { Script } from 'node:vm';
import { startRuntimeFromAssets } from '../src/runtime/runtime-script.js';

startRuntimeFromAssets(getRawAsset as (key: string) => ArrayBuffer, Script, [exports, require, module, __filename, __dirname]);
