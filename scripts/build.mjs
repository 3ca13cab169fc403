#!/usr/bin/env node
// Builds the package: TypeScript to dist/ with tsc, and the SEA main script (templates/sea-main.ts and
// the runtime it imports) bundled by esbuild into one CommonJS file that uses Node built-ins only.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20.12',
  // Not minified: when a packed app fails inside an fs call, Node prints the throwing line of these
  // files, and a one-line bundle would fill the terminal. The V8 code cache makes parsing cheap anyway.
  legalComments: 'none',
  logLevel: 'warning',
};
const template = (name) => fileURLToPath(new URL(`../templates/${name}`, import.meta.url));
const output = (name) => fileURLToPath(new URL(`../dist/templates/${name}`, import.meta.url));

// 1. The hooks a module.register() thread runs (Node before 22.15), as CommonJS: an executable's thread
//    compiles it from a SEA asset with the code cache the build made of all its functions, where an ES
//    module would compile from source and import each built-in through the ES module loader (together
//    3-5 ms of every start of an ES module app on Node 20); `oxpack run` and the library load it
//    through the small ES module beside it.
await build({ ...common, entryPoints: [template('esm-hooks-thread.ts')], outfile: output('esm-hooks.cjs'), format: 'cjs' });
writeFileSync(
  output('esm-hooks.mjs'),
  [
    '// The module.register() hooks module of `oxpack run` and the library: the hooks in esm-hooks.cjs.',
    "import { createRequire } from 'node:module';",
    '',
    "export const { initialize, resolve, load } = createRequire(import.meta.url)('./esm-hooks.cjs');",
    '',
  ].join('\n'),
);
// 2. The runtime entry. An executable carries the hooks module as a SEA asset of its own (a packed
//    executable has no files to point the hooks thread at); `oxpack run` finds it beside main.cjs.
await build({ ...common, entryPoints: [template('main.ts')], outfile: output('main.cjs'), format: 'cjs' });
lightenBuiltinImports(output('main.cjs'));
// 3. The main script of an executable, which compiles the runtime entry with its code cache.
await build({ ...common, entryPoints: [template('sea-loader.ts')], outfile: output('sea-loader.cjs'), format: 'cjs' });
// 4. The scripts the target Node runs at build time to make code caches: of CommonJS modules, of the runtime.
await build({ ...common, entryPoints: [template('code-cache.ts')], outfile: output('code-cache.cjs'), format: 'cjs' });
await build({ ...common, entryPoints: [template('runtime-cache.ts')], outfile: output('runtime-cache.cjs'), format: 'cjs' });
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);

/**
 * esbuild compiles `import fs from 'node:fs'` (and `import * as`) to __toESM(require("node:fs")),
 * which copies every export of the built-in onto a new object, with a getter each: for the runtime's
 * few dozen such imports, about a millisecond of every start. An object that inherits from the
 * built-in and adds `default` serves both forms without copying.
 */
function lightenBuiltinImports(file) {
  const text = readFileSync(file, 'utf8');
  let count = 0;
  const out = text.replace(/__toESM\(require\(("node:[\w/]+")\)(?:, 1)?\)/g, (_, name) => {
    count++;
    return `__builtin(require(${name}))`;
  });
  if (count === 0 || !out.startsWith('"use strict";\n')) throw new Error(`${file}: esbuild's output changed; update lightenBuiltinImports`);
  // node:module: the CommonJS Module class from the bundle's own module object, without loading the
  // public module (src/builtins.ts, the one file of the runtime that imports node:module, says why).
  const imports = out.split('require("node:module")').length - 1;
  if (imports !== 1) throw new Error(`${file}: ${imports} imports of node:module; the runtime imports it in src/builtins.ts only`);
  const prelude =
    'var __builtin = (m) => ({ __proto__: m, default: m });\n' +
    'var __cjsModule = () => {\n' +
    '  const c = typeof module === "object" && module !== null ? module.constructor : undefined;\n' +
    '  return typeof c === "function" && typeof c._load === "function" ? c : require("node:module");\n' +
    '};\n';
  writeFileSync(file, out.replace('require("node:module")', '__cjsModule()').replace('"use strict";\n', `"use strict";\n${prelude}`));
}
