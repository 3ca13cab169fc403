import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiskHost } from '../../src/build/disk-host.js';
import { declaredDependencies, packageClosure, packageRootOf, listPackage } from '../../src/build/packages.js';
import { callsImport, findReferences, importCalls } from '../../src/build/parse.js';
import { hostTarget } from '../../src/build/target.js';
import { trace } from '../../src/build/trace.js';

describe('findReferences', () => {
  const specs = (source: string, hint: 'script' | 'module' | 'detect' = 'script') =>
    findReferences(source, hint).references.map((r) => `${r.kind}:${r.specifier}${r.optional ? '?' : ''}`);

  test('require, require.resolve, module.require and template literals', () => {
    expect(specs("require('a'); require.resolve('b'); module.require('c'); require(`d`); require('e' + '/f');")).toEqual([
      'require:a',
      'require.resolve:b',
      'require:c',
      'require:d',
      'require:e/f',
    ]);
    // with { paths }, resolved from folders known at run time (the user's project): not a reference
    expect(specs("require.resolve('dayjs', { paths: [process.cwd()] }); require.resolve('x', opts);")).toEqual([]);
  });

  test('requires inside try blocks are optional, in the catch block they are not', () => {
    expect(specs("try { require('x') } catch { require('y') } finally { require('z') }")).toEqual(['require:x?', 'require:y', 'require:z']);
  });

  test('a shadowed require is not the module require', () => {
    expect(specs("function f(require) { require('inner') } require('outer');")).toEqual(['require:outer']);
    expect(specs("(function(){ var require = () => 1; require('hidden') })(); require('seen')")).toEqual(['require:seen']);
  });

  test('ESM: static imports, re-exports, dynamic import, import.meta.resolve, new URL', () => {
    expect(
      specs(
        "import a from 'a'; export * from './b.js'; export { c } from 'c'; const d = await import('d'); import.meta.resolve('e'); new URL('./f.txt', import.meta.url); import('g').catch(() => {});",
        'module',
      ),
    ).toEqual(['import:a', 'import:./b.js', 'import:c', 'dynamic-import:d', 'import.meta.resolve:e', 'url:./f.txt', 'dynamic-import:g?']);
  });

  test('createRequire(import.meta.url) gives a real require', () => {
    expect(
      specs("import { createRequire } from 'module'; const require = createRequire(import.meta.url); require('cjs-dep');", 'module'),
    ).toEqual(['import:module', 'require:cjs-dep']);
  });

  test('computed specifiers come back as patterns or as dynamic', () => {
    const r = findReferences('require(`./locales/${lang}.json`); require(name); import(`./pages/${p}`);', 'script');
    expect(r.dynamic.map((d) => d.parts ?? null)).toEqual([['./locales/', '.json'], null, ['./pages/', '']]);
  });

  test('detection: ESM syntax in an untyped file parses as a module; broken code reports its position', () => {
    expect(findReferences("import x from 'y'", 'detect').syntax).toBe('module');
    expect(findReferences("const x = require('y')", 'detect').syntax).toBe('script');
    const broken = findReferences('const = 1;', 'detect');
    expect(broken.syntax).toBeUndefined();
    expect(broken.error?.offset).toBe(6);
  });

  test('paths built from __dirname are references of their own', () => {
    expect(
      specs(
        "new Worker(path.join(__dirname, 'workers', 'w.js')); fork(path.resolve(__dirname, 'child.js')); fs.readFileSync(__dirname + '/data' + '/x.txt'); app.use(`${__dirname}/public`); path.join(__dirname, name);",
      ),
    ).toEqual(['path:./workers/w.js', 'path:./child.js', 'path:./data/x.txt', 'path:./public']);
    // import.meta.dirname, the same folder in an ES module
    expect(
      specs(
        "spawn(path.join(import.meta.dirname, 'bin', 'tool')); readFile(`${import.meta.dirname}/data.json`); import.meta.filename;",
        'module',
      ),
    ).toEqual(['path:./bin/tool', 'path:./data.json']);
    // the module's own folder, listed: '.'; other uses of __dirname alone are not references
    expect(
      specs(
        'fs.readdirSync(__dirname).forEach(load); fs.promises.readdir(__dirname); opendirSync(__dirname); fs.readdirSync(other); const d = __dirname; fs.statSync(__dirname);',
      ),
    ).toEqual(['module-folder:.', 'module-folder:.', 'module-folder:.']);
    expect(specs('for (const f of await readdir(import.meta.dirname)) await import(f);', 'module')).toEqual(['module-folder:.']);
  });

  test('paths built from __dirname with computed parts are patterns, unless nothing but the computed part is left', () => {
    expect(
      specs(
        [
          "fs.readFileSync(path.join(__dirname, 'templates', name + '.hbs'));",
          'fs.readFileSync(`${__dirname}/data/${file}`);',
          "require(path.resolve(__dirname, '..', 'x', n));",
          "fs.readFileSync(__dirname + '/img/' + a + '-' + b + '.png');",
          // not these: anything beside the module
          'path.join(__dirname, name); __dirname + "/" + f; `${__dirname}/${g}`; path.join(__dirname, "..", h);',
        ].join('\n'),
      ),
    ).toEqual(['path:./templates/*.hbs', 'path:./data/*', 'path:./../x/*', 'path:./img/*-*.png']);
    // the require itself is not also reported as computed: the path covers it
    expect(findReferences("require(path.join(__dirname, 'cmds', c));", 'script').dynamic).toEqual([]);
  });

  test("constants naming the module's folder, or one built from it, build paths too", () => {
    expect(
      specs(
        [
          "const root = path.resolve(__dirname, '..');",
          "const views = path.join(root, 'views');",
          "app.use(express.static(path.join(root, 'public')));",
          "fs.readFileSync(path.join(views, 'index.html'));",
          'fs.readFileSync(`${root}/data/${name}.json`);',
          "const dir = dirname(__filename); path.join(dir, 'img');",
          // not these: a variable that may change, a pattern as a folder
          "let later = __dirname; path.join(later, 'no');",
          "const some = path.join(__dirname, 'x', n); path.join(some, 'no');",
        ].join('\n'),
      ),
    ).toEqual([
      'path:./..',
      'path:./../views',
      'path:./../public',
      'path:./../views/index.html',
      'path:./../data/*.json',
      'path:./img',
      'path:./x/*',
    ]);
    // ES modules before import.meta.dirname
    expect(
      specs(
        [
          "const here = path.dirname(fileURLToPath(import.meta.url)); path.join(here, 'tpl');",
          "const there = fileURLToPath(new URL('.', import.meta.url)); path.join(there, 'css');",
        ].join('\n'),
        'module',
      ),
    ).toEqual(['path:./tpl', 'url:.', 'path:./css']);
  });

  test("folders whose scripts a library loads by listing them: yargs's commandDir, require-directory, gluegun's src", () => {
    expect(
      specs(
        [
          "require('yargs')(argv).commandDir('cmds').parse();",
          "yargs.commandDir('./more', { recurse: true });",
          "const requireDirectory = require('require-directory'); module.exports = requireDirectory(module, './routes');",
          'requireDirectory(module);',
          "require('require-directory')(module);",
          "build().brand('mycli').src(__dirname).create();",
          // not these: a computed folder, another function of module alone, a glob given to gulp
          "y.commandDir(name); debug(module); f(module, 42); gulp.src(__dirname + '/*.js');",
        ].join('\n'),
      ),
    ).toEqual([
      'require:yargs',
      'module-folder:cmds',
      'module-folder:./more',
      'require:require-directory',
      'module-folder:./routes',
      'module-folder:.',
      'require:require-directory',
      'module-folder:.',
      'module-folder:commands',
      'module-folder:extensions',
      'path:./*.js', // a path built from __dirname, as everywhere
    ]);
  });

  test('module.register() of hooks named relative to the module is an import of them', () => {
    expect(
      specs(
        "register('./hooks.mjs', import.meta.url); module.register('ts-hooks', import.meta.url); register('./other.mjs'); app.register(plugin, { prefix: '/v1' });",
        'module',
      ),
    ).toEqual(['dynamic-import:./hooks.mjs', 'dynamic-import:ts-hooks']);
    expect(specs("register('./hooks.mjs', pathToFileURL(__filename)); register('./x.mjs', url.pathToFileURL(__filename));")).toEqual([
      'dynamic-import:./hooks.mjs',
      'dynamic-import:./x.mjs',
    ]);
  });

  test('callsImport finds import() in code, not in comments, strings or property names', () => {
    expect(callsImport('module.exports = () => import("./x.mjs")')).toBe(true);
    expect(callsImport('const load = (p) => import (\n  p)')).toBe(true);
    expect(callsImport('/** @type {typeof import("color-convert")} */\nmodule.exports = 1')).toBe(false);
    expect(callsImport('const s = "important(x)"; // import(y)\nconst t = `reimport(${s})`;')).toBe(false);
    // code in strings, for new Function or eval, counts: it calls import() too
    expect(callsImport("const load = new Function('s', 'return import(s)');")).toBe(true);
    expect(callsImport('const t = `import(${s})`; eval(t);')).toBe(true);
    // a message that merely mentions import( is not code
    expect(callsImport('throw new Error("Dynamic import(x) is not allowed");')).toBe(false);
    expect(callsImport('loader.import("x"); a?.import(1)')).toBe(false);
    expect(callsImport('module.exports = 1')).toBe(false);
    // what does not tokenize counts as calling it: only start-up time is at stake
    expect(callsImport('import( = ')).toBe(true);
  });

  test('importCalls tells import() expressions from import() made from strings (which need the hooks early)', () => {
    expect(importCalls('module.exports = 1')).toBe('none');
    expect(importCalls('exports.load = (p) => import(p); // Function(x)')).toBe('expressions');
    expect(importCalls("exports.load = (p) => import(p); const f = new Function('s', 'return import(s)');")).toBe('strings');
    expect(importCalls("const f = Function('s', 'return import(s)');")).toBe('strings');
    // code that does not tokenize (here an unterminated string) gets the early hooks
    expect(importCalls('import("x"); const s = "unterminated')).toBe('strings');
  });

  test('hashbang and top-level return in CommonJS', () => {
    expect(specs("#!/usr/bin/env node\nif (x) return;\nrequire('after')")).toEqual(['require:after']);
  });
});

describe('trace', () => {
  let root: string;
  const write = (name: string, content: string | object): void => {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  };
  const rel = (files: Iterable<string>): string[] => [...files].map((f) => path.relative(root, f)).sort();
  const run = (entry: string, external: string[] = []) =>
    trace({
      entry: path.join(root, entry),
      host: new DiskHost(new Set(hostTarget().builtins)),
      target: hostTarget(),
      external: new Set(external),
      appRoot: root,
    });

  beforeAll(() => {
    root = realpathSync(mkdtempSync(path.join(tmpdir(), 'oxpack-trace-')));
    write('package.json', { name: 'app', version: '1.0.0', dependencies: { dep: '1' } });
    write(
      'main.js',
      [
        "const fs = require('fs');",
        "require('node:path');",
        "require('./lib');",
        "require('./data.json');",
        "require('dep');",
        "require.resolve('./resolved-only.txt');",
        'try { require("maybe") } catch {}',
        'const lang = process.env.LANG;',
        'require(`./locales/${lang}.json`);',
        'require(lang);',
        "import('./esm/entry.mjs');",
        "require('external-pkg');",
      ].join('\n'),
    );
    write('lib/index.js', "module.exports = require('./helper')");
    write('lib/helper.js', '');
    write('data.json', '{}');
    write('resolved-only.txt', 'x');
    write('locales/en.json', '{}');
    write('locales/fr.json', '{}');
    write('locales/readme.txt', 'not json');
    write('esm/entry.mjs', "import './typeless.js'; export * from './more.mjs'; const u = new URL('./asset.bin', import.meta.url);");
    write('esm/typeless.js', 'export const x = 1;');
    write('esm/more.mjs', 'export const y = 2;');
    write('esm/asset.bin', 'bin');
    write('node_modules/dep/package.json', {
      name: 'dep',
      version: '1.0.0',
      exports: { '.': { require: './cjs.js', import: './esm.mjs' } },
      dependencies: { sub: '1' },
    });
    write('node_modules/dep/cjs.js', "require('./unlisted-but-packed-whole'); require('undeclared-missing');");
    write('node_modules/dep/unlisted-but-packed-whole.js', '');
    write('node_modules/dep/esm.mjs', '');
    write('node_modules/dep/data/extra.txt', 'data');
    write('node_modules/sub/package.json', {
      name: 'sub',
      version: '1.0.0',
      optionalDependencies: { 'opt-missing': '1' },
      dependencies: { 'req-missing': '1' },
    });
    write('node_modules/sub/index.js', '');
    write('node_modules/unused/package.json', { name: 'unused' });
    write('node_modules/external-pkg/package.json', { name: 'external-pkg' });
    write('node_modules/external-pkg/index.js', '');
    write('bad.js', "require('./nope');\nrequire('also-missing');\nrequire('./broken');");
    write('broken.js', '\n\nconst = ;');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('follows every literal reference and classifies what it reaches', () => {
    const result = run('main.js', ['external-pkg']);
    expect(rel(result.files.keys())).toEqual([
      'data.json',
      'esm/entry.mjs',
      'esm/more.mjs',
      'esm/typeless.js',
      'lib/helper.js',
      'lib/index.js',
      'locales/en.json',
      'locales/fr.json',
      'main.js',
      'node_modules/dep/cjs.js',
      'node_modules/dep/unlisted-but-packed-whole.js',
      'resolved-only.txt',
    ]);
    expect(result.files.get(path.join(root, 'esm/typeless.js'))).toBe(hostTarget().detectModule ? 'module' : 'commonjs');
    expect(result.files.get(path.join(root, 'esm/entry.mjs'))).toBe('module');
    expect(result.files.get(path.join(root, 'data.json'))).toBe('json');
    expect(rel(result.assets)).toEqual(['esm/asset.bin']);
  });

  test('reports optional, dynamic and in-package problems with their position', () => {
    const { diagnostics } = run('main.js', ['external-pkg']);
    const line = (d: { file?: string; line?: number; column?: number; severity: string; code: string; specifier?: string }) =>
      `${d.severity} ${d.code} ${path.relative(root, d.file ?? '')}:${d.line}:${d.column} ${d.specifier ?? ''}`.trim();
    expect(diagnostics.map(line).sort()).toEqual(
      [
        'warning unresolved main.js:7:7 maybe',
        'info dynamic main.js:10:1',
        'warning unresolved node_modules/dep/cjs.js:1:41 undeclared-missing',
      ].sort(),
    );
  });

  test('unresolvable requires of the app are errors; syntax errors are warnings', () => {
    const { diagnostics } = run('bad.js');
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.specifier)).toEqual(['./nope', 'also-missing']);
    const syntax = diagnostics.find((d) => d.code === 'syntax');
    expect([path.relative(root, syntax!.file!), syntax!.line, syntax!.severity]).toEqual(['broken.js', 3, 'warning']);
  });

  test('paths built from __dirname: scripts followed, files and folders packed, nothing outside the app', () => {
    write(
      'spawner.js',
      [
        "new Worker(path.join(__dirname, 'workers', 'w.js'));",
        "app.use(express.static(path.join(__dirname, 'public')));",
        "fs.readFileSync(__dirname + '/templates/t.html');",
        "path.join(__dirname, '..');",
        "path.join(__dirname, 'node_modules');",
        "path.join(__dirname, 'not-there.js');",
        // patterns a library fills in: the folder above the first placeholder, when inside the app
        "i18n.init({ backend: { loadPath: path.join(__dirname, 'locales/{{lng}}/{{ns}}.json') } });",
        "path.join(__dirname, '{{lng}}.json');",
        "path.join(__dirname, 'missing/{lng}/x.json');",
      ].join('\n'),
    );
    write('locales/en/translation.json', '{}');
    write('workers/w.js', "require('./w-helper'); require('./w-missing');");
    write('workers/w-helper.js', '');
    write('public/site.css', 'a{}');
    write('templates/t.html', '<p>');
    const result = run('spawner.js');
    expect(rel(result.files.keys())).toEqual(['spawner.js', 'workers/w-helper.js', 'workers/w.js']);
    expect(rel(result.assets)).toEqual(['locales', 'public', 'templates/t.html']);
    // a script reached through a built path is followed leniently: what it misses is a warning
    expect(result.diagnostics.filter((d) => d.code === 'unresolved').map((d) => `${d.severity} ${d.specifier}`)).toEqual([
      'warning ./w-missing',
    ]);
  });

  test('a module that lists its own folder gets that folder packed (Sequelize models/index.js); the app root only a warning', () => {
    write(
      'models/index.js',
      "const db = {};\nfor (const f of fs.readdirSync(__dirname)) if (f !== 'index.js') db[f] = require(path.join(__dirname, f));\nmodule.exports = db;",
    );
    write('models/user.js', 'module.exports = 1;');
    write('models/post.js', 'module.exports = 2;');
    write('lists-root.js', "require('./models');\nfs.readdirSync(__dirname);");
    const result = run('lists-root.js');
    expect(rel(result.assets)).toEqual(['models']);
    expect(
      result.diagnostics.filter((d) => d.code === 'lists-app-folder').map((d) => `${d.severity} ${path.relative(root, d.file!)}:${d.line}`),
    ).toEqual(['warning lists-root.js:2']);
  });

  test('a folder a library loads the scripts of (yargs commandDir) is packed, and what its scripts require is followed', () => {
    write('cli/main.js', "require('yargs')(process.argv.slice(2)).commandDir('cmds').parse();");
    write('cli/cmds/greet.js', "const fmt = require('../../lib/fmt.js'); exports.command = 'greet';");
    write('cli/cmds/nested/deep.js', "require('./gone.js');");
    write('cli/cmds/readme.txt', '');
    write('lib/fmt.js', 'module.exports = (s) => s;');
    write('node_modules/yargs/package.json', { name: 'yargs', main: 'index.js' });
    write('node_modules/yargs/index.js', 'module.exports = () => ({});');
    const result = run('cli/main.js');
    expect(rel(result.assets)).toEqual(['cli/cmds']);
    expect(rel(result.files.keys()).filter((f) => !f.startsWith('node_modules'))).toEqual([
      'cli/cmds/greet.js',
      'cli/cmds/nested/deep.js',
      'cli/main.js',
      'lib/fmt.js',
    ]);
    // followed leniently: a script of the folder that fails to resolve is a warning
    expect(result.diagnostics.filter((d) => d.specifier === './gone.js').map((d) => d.severity)).toEqual(['warning']);
  });

  test('the scripts of a folder named from __dirname are followed last, and quietly (plugins that require app files; browser code)', () => {
    write('srv/app.js', "autoload({ dir: path.join(__dirname, 'plugins') });\nserveStatic(path.join(__dirname, 'public'));");
    write('srv/plugins/hello.js', "module.exports = require('../lib/helper.js');");
    write('srv/lib/helper.js', "require('./more.js');");
    write('srv/lib/more.js', '');
    write('srv/public/site.js', "import React from 'react';\nimport x from '/static/x.js';\n<div/>;");
    write('srv/public/bundle.js', "require('not-installed');");
    const result = run('srv/app.js');
    expect(rel(result.assets)).toEqual(['srv/plugins', 'srv/public']);
    expect(rel(result.files.keys())).toEqual([
      'srv/app.js',
      'srv/lib/helper.js',
      'srv/lib/more.js',
      'srv/plugins/hello.js',
      'srv/public/bundle.js',
      'srv/public/site.js',
    ]);
    expect(result.diagnostics.filter((d) => d.file?.includes('/srv/'))).toEqual([]);
  });

  test('a computed require that ends with the computed part packs the folder it names (the build crashed on it)', () => {
    write(
      'cmdapp/main.js',
      "require(`./commands/${name}`);\nrequire('./more/' + name);\nrequire(`./nested/${a}/${b}`);\n" +
        "require.resolve('./resolved/' + r);\nfs.readFileSync(path.join(__dirname, 'views', v + '.hbs'));",
    );
    write('cmdapp/resolved/r.txt', '');
    write('cmdapp/views/page.hbs', '');
    write('cmdapp/views/notes.txt', '');
    write('cmdapp/commands/a.js', "require('../lib/a-dep.js');");
    write('cmdapp/commands/b.js', '');
    write('cmdapp/more/c.js', '');
    write('cmdapp/nested/x/y.js', '');
    write('cmdapp/lib/a-dep.js', '');
    const result = run('cmdapp/main.js');
    expect(rel(result.files.keys())).toEqual([
      'cmdapp/commands/a.js',
      'cmdapp/commands/b.js',
      'cmdapp/lib/a-dep.js',
      'cmdapp/main.js',
      'cmdapp/more/c.js',
      'cmdapp/nested/x/y.js',
    ]);
    expect(rel(result.assets).filter((f) => f.startsWith('cmdapp/'))).toEqual(['cmdapp/resolved/r.txt', 'cmdapp/views/page.hbs']);
  });

  test('new URL() with a computed path relative to import.meta.url packs what it can name', () => {
    write(
      'urlapp/main.mjs',
      "fs.readFileSync(new URL(`./tpl/${t}.html`, import.meta.url));\nnew Worker(new URL('./w/' + w, import.meta.url));",
    );
    write('urlapp/tpl/page.html', '');
    write('urlapp/tpl/page.css', '');
    write('urlapp/w/job.js', "import 'not-installed';");
    const result = run('urlapp/main.mjs');
    expect(rel(result.assets).filter((f) => f.startsWith('urlapp/'))).toEqual(['urlapp/tpl/page.html']);
    expect(rel(result.files.keys()).filter((f) => f.startsWith('urlapp/'))).toEqual(['urlapp/main.mjs', 'urlapp/w/job.js']);
    // followed leniently: what a worker's script fails to resolve is a warning
    expect(result.diagnostics.filter((d) => d.specifier === 'not-installed').map((d) => d.severity)).toEqual(['warning']);
  });

  test('globs built from __dirname pack the files they match in the app (TypeORM entities, migrations)', () => {
    write(
      'src/db.js',
      [
        "globSync(__dirname + '/../entity/*.js');",
        'dataSource({ entities: [`${__dirname}/**/*.entity{.ts,.js}`] });',
        "path.join(__dirname, 'migrations', '*.sql');",
        "globSync(__dirname + '/../../outside/*.js');", // above the app: nothing
        "globSync(__dirname + '/../node_modules/*.js');", // node_modules: nothing
      ].join('\n'),
    );
    write('entity/cat.js', "require('./shared.js');");
    write('entity/shared.js', '');
    write('entity/notes.txt', '');
    write('src/user/user.entity.js', '');
    write('src/user/user.entity.ts', '');
    write('src/migrations/001.sql', '');
    write('node_modules/x.js', '');
    const result = run('src/db.js');
    expect(rel(result.files.keys())).toEqual(['entity/cat.js', 'entity/shared.js', 'src/db.js', 'src/user/user.entity.js']);
    expect(rel(result.assets)).toEqual(['src/migrations/001.sql', 'src/user/user.entity.ts']);
  });

  test("the source maps a compiler wrote beside the app's files are packed, at the app's root too; inline ones, and packages', are not looked for", () => {
    write('main.js', "require('./dist/lib.js');\n//# sourceMappingURL=main.js.map\n");
    write('main.js.map', '{}');
    write('dist/lib.js', "require('mapped-dep');\n//# sourceMappingURL=lib.js.map");
    write('dist/lib.js.map', '{}');
    write('dist/inline.js', '//# sourceMappingURL=data:application/json;base64,e30=');
    write('dist/missing.js', '//# sourceMappingURL=missing.js.map');
    write('node_modules/mapped-dep/package.json', { name: 'mapped-dep', version: '1.0.0' });
    write('node_modules/mapped-dep/index.js', '//# sourceMappingURL=index.js.map');
    write('node_modules/mapped-dep/index.js.map', '{}');
    write('entry.js', "require('./main.js'); require('./dist/inline.js'); require('./dist/missing.js');");
    expect(rel(run('entry.js').assets)).toEqual(['dist/lib.js.map', 'main.js.map']);
  });

  test("commander's executable subcommands: the scripts beside the program named <program>-<subcommand>.js are followed", () => {
    write(
      'cli/pm.js',
      "const { Command } = require('commander');\nnew Command().name('pm').command('install [name]', 'install').command('list', 'list').command('add-user', 'add').command('inline').action(() => {}).parse();",
    );
    write('cli/pm-install.js', "require('./helper.js');");
    write('cli/helper.js', '');
    write('cli/pm-list.mjs', '');
    write('cli/pm-add-user.cjs', ''); // a subcommand name with a hyphen
    write('cli/pm-inline.js', ''); // a command with an action, not an executable: not followed
    write('cli/other.js', '');
    const result = run('cli/pm.js', ['commander']);
    expect(rel(result.files.keys()).filter((f) => f.startsWith('cli/'))).toEqual([
      'cli/helper.js',
      'cli/pm-add-user.cjs',
      'cli/pm-install.js',
      'cli/pm-list.mjs',
      'cli/pm.js',
    ]);
  });

  test('scripts among the assets are followed leniently', () => {
    write('static/browser.js', "import React from 'react'; import './local.js';");
    write('static/local.js', '');
    const result = trace({
      entry: path.join(root, 'lib/helper.js'),
      host: new DiskHost(new Set(hostTarget().builtins)),
      target: hostTarget(),
      external: new Set(),
      appRoot: root,
      scripts: [path.join(root, 'static/browser.js')],
    });
    expect(rel(result.files.keys())).toEqual(['lib/helper.js', 'static/browser.js', 'static/local.js']);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.specifier}`)).toEqual(['warning react']);
  });

  test('packages: the reached ones and their installed dependencies, transitively, nothing else', () => {
    const host = new DiskHost(new Set(hostTarget().builtins));
    const closure = packageClosure(host, [path.join(root, 'node_modules/dep')], new Set());
    expect(closure.packages.map((p) => path.relative(root, p))).toEqual(['node_modules/dep', 'node_modules/sub']);
    expect(closure.diagnostics.map((d) => d.message)).toEqual(['sub depends on "req-missing", which is not installed']);
    expect(listPackage(path.join(root, 'node_modules/dep')).files.map((f) => path.relative(root, f))).toEqual([
      'node_modules/dep/cjs.js',
      'node_modules/dep/data/extra.txt',
      'node_modules/dep/esm.mjs',
      'node_modules/dep/package.json',
      'node_modules/dep/unlisted-but-packed-whole.js',
    ]);
  });

  test("a package compiled at install is packed without node-gyp's leftovers; another package's build/ is untouched", () => {
    const gyp = [
      'package.json',
      'binding.gyp',
      'lib/index.js',
      'src/addon.cc',
      'build/Makefile',
      'build/config.gypi',
      'build/addon.target.mk',
      'build/deps/lib.Makefile',
      'build/Release/addon.node',
      'build/Release/libhelper.so',
      'build/Release/lib.a',
      'build/Release/obj.target/addon/src/addon.o',
      'build/Release/obj/gen/lib.h',
      'build/Release/.deps/Release/addon.node.d',
    ];
    for (const f of gyp) write(`node_modules/native/${f}`, '');
    const plain = ['package.json', 'build/Makefile', 'build/cjs/obj/index.js', 'build/cjs/index.o'];
    for (const f of plain) write(`node_modules/plain/${f}`, '');
    const native = listPackage(path.join(root, 'node_modules/native'));
    expect(rel(native.files).map((f) => f.replace('node_modules/native/', ''))).toEqual([
      'binding.gyp',
      'build/Release/addon.node',
      'build/Release/libhelper.so',
      'lib/index.js',
      'package.json',
      'src/addon.cc',
    ]);
    // no folder that held only leftovers
    expect(rel(native.dirs).map((f) => f.replace('node_modules/native/', ''))).toEqual(['build', 'build/Release', 'lib', 'src']);
    expect(rel(listPackage(path.join(root, 'node_modules/plain')).files).map((f) => f.replace('node_modules/plain/', ''))).toEqual(
      [...plain].sort(),
    );
  });

  test("packages the app's package.json declares for run time are packed, reached or not (not devDependencies)", () => {
    // an express view engine, a pino transport, a database dialect: loaded by names no trace sees
    write('declaring/package.json', {
      name: 'declaring',
      dependencies: { plugin: '1', 'not-installed': '1', external: '1' },
      optionalDependencies: { 'optional-missing': '1' },
      devDependencies: { 'dev-tool': '1' },
    });
    write('node_modules/plugin/package.json', { name: 'plugin', version: '1.0.0' });
    write('node_modules/external/package.json', { name: 'external', version: '1.0.0' });
    write('node_modules/dev-tool/package.json', { name: 'dev-tool', version: '1.0.0' });
    const host = new DiskHost(new Set(hostTarget().builtins));
    const declared = declaredDependencies(host, path.join(root, 'declaring'), new Set(['external']));
    expect(declared.packages.map((p) => path.relative(root, p))).toEqual(['node_modules/plugin']);
    expect(declared.diagnostics.map((d) => `${d.severity} ${d.message}`)).toEqual([
      'warning the app depends on "not-installed", which is not installed',
    ]);
  });

  test('packageRootOf handles scopes, nesting and pnpm folders', () => {
    const p = (...parts: string[]) => path.join('/x', ...parts);
    expect(packageRootOf(p('node_modules', 'a', 'lib', 'i.js'))).toBe(p('node_modules', 'a'));
    expect(packageRootOf(p('node_modules', '@s', 'a', 'i.js'))).toBe(p('node_modules', '@s', 'a'));
    expect(packageRootOf(p('node_modules', 'a', 'node_modules', 'b', 'i.js'))).toBe(p('node_modules', 'a', 'node_modules', 'b'));
    expect(packageRootOf(p('node_modules', '.pnpm', 'a@1', 'node_modules', 'a', 'i.js'))).toBe(
      p('node_modules', '.pnpm', 'a@1', 'node_modules', 'a'),
    );
    expect(packageRootOf(p('src', 'i.js'))).toBeUndefined();
  });

  test('files without an extension that code loads are classified as the target line loads them', () => {
    // yargs 17: CommonJS without an extension in a "type": "module" package, required; bin scripts.
    write('node_modules/typed/package.json', { name: 'typed', type: 'module', exports: { './cjs': './cjs', './esm': './esm' } });
    write('node_modules/typed/cjs', "module.exports = require('./helper.cjs');");
    write('node_modules/typed/helper.cjs', 'module.exports = 1;');
    write('node_modules/typed/esm', 'export default 2;');
    write('node_modules/typed/LICENSE', 'not code');
    write('node_modules/untyped/package.json', { name: 'untyped', version: '1.0.0' });
    write('node_modules/untyped/tool', 'export const three = 3;');
    write('node_modules/untyped/script', 'module.exports = 4;');
    write('loads-extensionless.js', "require('typed/cjs'); import('typed/esm'); require('untyped/tool'); require('untyped/script');");
    const kinds = (overrides: Partial<ReturnType<typeof hostTarget>>) => {
      const target = { ...hostTarget(), ...overrides };
      const result = trace({
        entry: path.join(root, 'loads-extensionless.js'),
        host: new DiskHost(new Set(target.builtins)),
        target,
        external: new Set(),
        appRoot: root,
      });
      const of = (name: string) => result.files.get(path.join(root, 'node_modules', name));
      return {
        cjs: of('typed/cjs'),
        helper: of('typed/helper.cjs'),
        esm: of('typed/esm'),
        license: of('typed/LICENSE'),
        tool: of('untyped/tool'),
        script: of('untyped/script'),
      };
    };
    // Node 26: require() follows "type"; what it has no "type" for is detected from its syntax.
    const on26 = { ...hostTarget(), extensionlessByType: true, detectModule: true };
    const warned = trace({
      entry: path.join(root, 'loads-extensionless.js'),
      host: new DiskHost(new Set(on26.builtins)),
      target: on26,
      external: new Set(),
      appRoot: root,
    })
      .diagnostics.filter((d) => d.code === 'extensionless-commonjs')
      .map((d) => path.relative(root, d.file!));
    expect(warned).toEqual(['node_modules/typed/cjs']); // not typed/esm, which is an ES module
    expect(kinds({ extensionlessByType: true, detectModule: true })).toEqual({
      cjs: 'module',
      helper: 'commonjs',
      esm: 'module',
      license: undefined,
      tool: 'module',
      script: 'commonjs',
    });
    // Node 22-24: require() ignores "type" for them and detects; the ES module loader follows it.
    expect(kinds({ extensionlessByType: false, detectModule: true })).toEqual({
      cjs: 'commonjs',
      helper: 'commonjs',
      esm: 'module',
      license: undefined,
      tool: 'module',
      script: 'commonjs',
    });
    // Node 20.12-20.18: no detection, so require() takes them as CommonJS.
    expect(kinds({ extensionlessByType: false, detectModule: false })).toMatchObject({
      cjs: 'commonjs',
      esm: 'module',
      tool: 'commonjs',
      script: 'commonjs',
    });
  });

  test('a require() of an ES module that imports packed files is flagged where Node links it without the hooks', () => {
    // @nestjs/core 12: ES modules only, required from CommonJS (require(esm), Node 20.19+).
    write('node_modules/esm-only/package.json', { name: 'esm-only', type: 'module', exports: './index.js' });
    write('node_modules/esm-only/index.js', "import './inner.js'; export const x = 1;");
    write('node_modules/esm-only/inner.js', 'export {};');
    write('node_modules/esm-leaf/package.json', { name: 'esm-leaf', type: 'module', exports: './index.js' });
    write('node_modules/esm-leaf/index.js', "import fs from 'node:fs'; export const y = typeof fs;"); // built-ins only: works
    write('node_modules/dual/package.json', { name: 'dual', exports: { 'module-sync': './esm.mjs', default: './cjs.js' } });
    write('node_modules/dual/esm.mjs', "import './cjs.js'; export default 1;");
    write('node_modules/dual/cjs.js', 'module.exports = 1;');
    write('node_modules/uses-esm/package.json', { name: 'uses-esm', version: '1.0.0' });
    write('node_modules/uses-esm/index.js', "require('esm-only'); try { require('esm-only'); } catch {}");
    write(
      'requires-esm.js',
      "require('esm-only'); require('esm-leaf'); require('dual'); try { require('esm-only'); } catch {} require('uses-esm');",
    );
    const flagged = (overrides: Partial<ReturnType<typeof hostTarget>>) => {
      const target = { ...hostTarget(), ...overrides };
      return trace({
        entry: path.join(root, 'requires-esm.js'),
        host: new DiskHost(new Set(target.builtins)),
        target,
        external: new Set(),
        appRoot: root,
      })
        .diagnostics.filter((d) => d.code.startsWith('require-esm'))
        .map((d) => `${d.severity} ${d.code} ${path.relative(root, d.file!)}:${d.line}:${d.column} ${d.specifier}`)
        .sort();
    };
    // Node 20.19+: require(esm) without in-thread hooks. The dual package resolves to its CommonJS build
    // (no "module-sync" condition there), an ES module of built-ins only links.
    expect(flagged({ requireModule: true, syncHooks: false })).toEqual([
      'warning require-esm node_modules/uses-esm/index.js:1:1 esm-only',
      'warning require-esm requires-esm.js:1:1 esm-only',
      'warning require-esm-optional node_modules/uses-esm/index.js:1:28 esm-only',
      'warning require-esm-optional requires-esm.js:1:66 esm-only',
    ]);
    expect(flagged({ requireModule: true, syncHooks: true })).toEqual([]); // 22.15+
    expect(flagged({ requireModule: false, syncHooks: false })).toEqual([]); // no require(esm): Node's own error, as under node
  });

  test('symlinked packages are followed and the links recorded (pnpm, workspaces)', () => {
    write('store/linked@1/node_modules/linked/package.json', { name: 'linked', main: 'main.js' });
    write('store/linked@1/node_modules/linked/main.js', '');
    symlinkSync(path.join(root, 'store/linked@1/node_modules/linked'), path.join(root, 'node_modules/linked'));
    write('uses-link.js', "require('linked')");
    const host = new DiskHost(new Set(hostTarget().builtins));
    const result = trace({ entry: path.join(root, 'uses-link.js'), host, target: hostTarget(), external: new Set(), appRoot: root });
    expect(rel(result.files.keys())).toEqual(['store/linked@1/node_modules/linked/main.js', 'uses-link.js']);
    expect([...host.links].map(([link, text]) => [path.relative(root, link), text])).toEqual([
      ['node_modules/linked', path.join(root, 'store/linked@1/node_modules/linked')],
    ]);
  });
});
