/**
 * Built-in modules loaded on first use instead of at start-up: a packed executable pays for loading
 * zlib or readline only when it decompresses an entry or reads lines. (process.getBuiltinModule
 * arrived in 20.16; createRequire works on every supported line, and built-ins resolve from anywhere.)
 */
import Module from 'node:module';

const requireBuiltin = Module.createRequire('/');

export function builtin<T>(name: `node:${string}`): T {
  return requireBuiltin(name) as T;
}
