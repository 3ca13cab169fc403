/**
 * Finds the module references in one JavaScript file with a real parser (acorn): require(),
 * require.resolve(), module.require(), import declarations, export ... from, import(),
 * import.meta.resolve(), new URL('./x', import.meta.url), module.register('./hooks.mjs',
 * import.meta.url), and paths built from the module's folder. Literal specifiers are returned for the
 * tracer to resolve; computed ones are returned as patterns ("./locales/*.json") or as dynamic.
 */
import { parse, tokenizer, tokTypes, type Node, type Options } from 'acorn';
import { ancestor, simple } from 'acorn-walk';

/**
 * 'path': a file path built from the module's folder (path.join(__dirname, 'views')): a worker or child
 * script, a template folder, a data file. Followed when it exists, silently skipped otherwise.
 * 'module-folder': a folder, relative to the module, whose scripts are loaded by listing it: the
 * module's own (fs.readdirSync(__dirname), as '.'), yargs's commandDir('cmds'), require-directory's
 * requireDirectory(module, './routes'), gluegun's .src(__dirname) (its commands and extensions
 * folders). Packed with its scripts followed, when it exists.
 */
export type ReferenceKind =
  'require' | 'require.resolve' | 'import' | 'dynamic-import' | 'import.meta.resolve' | 'url' | 'path' | 'module-folder';

export interface Reference {
  kind: ReferenceKind;
  specifier: string;
  /** Inside a try block (or an import() with .catch): failure to resolve is the app's expected case. */
  optional: boolean;
  offset: number;
}

export interface DynamicReference {
  kind: ReferenceKind;
  /** For template literals and string concatenation: the literal parts around each computed part. */
  parts?: string[];
  offset: number;
}

export interface ParseResult {
  /** The syntax the file parsed as: 'script' (CommonJS) or 'module'; undefined when neither parses. */
  syntax: 'script' | 'module' | undefined;
  references: Reference[];
  dynamic: DynamicReference[];
  error?: { message: string; offset: number };
}

type AnyNode = Node & Record<string, any>;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

function parseAs(source: string, sourceType: 'script' | 'module'): Node {
  const options: Options = {
    ecmaVersion: 'latest',
    sourceType,
    allowHashBang: true,
    allowReturnOutsideFunction: sourceType === 'script',
    allowAwaitOutsideFunction: false,
  };
  return parse(source, options);
}

/**
 * Parses `source`. `preferred` is the format the build decided from the file name and package type;
 * for an untyped .js file pass 'detect' to try CommonJS first and then ESM, as Node's detection does.
 */
export function findReferences(source: string, preferred: 'script' | 'module' | 'detect'): ParseResult {
  let ast: Node;
  let syntax: 'script' | 'module';
  try {
    syntax = preferred === 'module' ? 'module' : 'script';
    ast = parseAs(source, syntax);
  } catch (first) {
    if (preferred !== 'detect') return failed(first);
    try {
      syntax = 'module';
      ast = parseAs(source, syntax);
    } catch {
      return failed(first);
    }
  }
  return { syntax, ...collect(ast) };
}

function failed(err: unknown): ParseResult {
  const e = err as { message?: string; pos?: number };
  return { syntax: undefined, references: [], dynamic: [], error: { message: e.message ?? String(err), offset: e.pos ?? 0 } };
}

interface PendingCall {
  kind: ReferenceKind;
  arg: AnyNode;
  offset: number;
  scopes: AnyNode[]; // enclosing functions and the program, innermost last
  optional: boolean;
}

function collect(ast: Node): { references: Reference[]; dynamic: DynamicReference[] } {
  const folders = folderAliases(ast);
  const dirnamePath = (arg: AnyNode): AnyNode | undefined => builtPath(arg, folders);
  const pending: PendingCall[] = [];
  const shadowing = new Set<AnyNode>();

  const scopesOf = (ancestors: AnyNode[]): AnyNode[] => ancestors.filter((a) => a.type === 'Program' || FUNCTION_TYPES.has(a.type));
  const innermostScope = (ancestors: AnyNode[], skipSelf: AnyNode): AnyNode => {
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i]!;
      if (a !== skipSelf && (a.type === 'Program' || FUNCTION_TYPES.has(a.type))) return a;
    }
    return ancestors[0]!;
  };
  const inTry = (node: AnyNode, ancestors: AnyNode[]): boolean =>
    ancestors.some((a) => a.type === 'TryStatement' && node.start >= a.block.start && node.end <= a.block.end);

  const add = (kind: ReferenceKind, arg: AnyNode | undefined, node: AnyNode, ancestors: AnyNode[], optional = false): void => {
    if (!arg) return;
    pending.push({ kind, arg, offset: node.start, scopes: scopesOf(ancestors), optional: optional || inTry(node, ancestors) });
  };

  ancestor(ast, {
    CallExpression(n, _state, ancestors) {
      const node = n as AnyNode;
      const callee = node.callee as AnyNode;
      const anc = ancestors as AnyNode[];
      const built = dirnamePath(node);
      if (built) add('path', built, node, anc);
      // fs.readdirSync(__dirname): a module that loads the files beside it by listing its own folder
      // (Sequelize's generated models/index.js), which no literal names.
      if (LIST_FOLDER.some((name) => calleeNamed(callee, name)) && isDirname(node.arguments[0]))
        add('module-folder', { type: 'Literal', value: '.', start: node.arguments[0].start, end: node.arguments[0].end }, node, anc);
      // yargs's .commandDir('cmds') loads the command modules of a folder named relative to the caller.
      if (calleeNamed(callee, 'commandDir') && isStringLiteral(node.arguments[0])) add('module-folder', node.arguments[0], node, anc);
      // gluegun's build().src(__dirname): the CLI's commands and extensions folders beside the module.
      if (calleeNamed(callee, 'src') && isDirname(node.arguments[0])) {
        const at = node.arguments[0] as AnyNode;
        for (const folder of ['commands', 'extensions'])
          add('module-folder', { type: 'Literal', value: folder, start: at.start, end: at.end }, node, anc);
      }
      // require-directory: requireDirectory(module, './routes'), or requireDirectory(module) for the
      // module's own folder.
      const [first, second] = node.arguments as AnyNode[];
      if (first?.type === 'Identifier' && first.name === 'module') {
        if (isStringLiteral(second)) add('module-folder', second, node, anc);
        else if (second === undefined && isRequireDirectory(callee))
          add('module-folder', { type: 'Literal', value: '.', start: first.start, end: first.end }, node, anc);
      }
      if (callee.type === 'Identifier' && callee.name === 'require') {
        // require(path.join(__dirname, 'x', name)): the path it names is a reference of its own (above,
        // when this visitor meets the argument), which also follows the scripts it matches.
        if (!(node.arguments[0] && dirnamePath(node.arguments[0] as AnyNode))) add('require', node.arguments[0], node, anc);
      } else if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') {
        const obj = callee.object as AnyNode;
        const prop = callee.property.name as string;
        // require.resolve(x, { paths }) resolves from other folders, known at run time (a CLI finding
        // a package in the user's project): not a reference of this file.
        if (obj.type === 'Identifier' && obj.name === 'require' && prop === 'resolve') {
          if (node.arguments.length < 2) add('require.resolve', node.arguments[0], node, anc);
        } else if (obj.type === 'Identifier' && obj.name === 'module' && prop === 'require') add('require', node.arguments[0], node, anc);
        else if (prop === 'resolve' && isImportMeta(obj)) add('import.meta.resolve', node.arguments[0], node, anc);
      } else if (callee.type === 'CallExpression' && isCreateRequire(callee.callee as AnyNode)) {
        add('require', node.arguments[0], node, anc); // createRequire(import.meta.url)('x')
      }
      // module.register('./hooks.mjs', import.meta.url): loader hooks, imported by the hooks thread.
      if (calleeNamed(callee, 'register') && isOwnUrl(node.arguments[1])) add('dynamic-import', node.arguments[0], node, anc);
    },
    ImportExpression(n, _state, ancestors) {
      const node = n as AnyNode;
      const anc = ancestors as AnyNode[];
      const parent = anc[anc.length - 2];
      const caught = parent?.type === 'MemberExpression' && !parent.computed && parent.property?.name === 'catch';
      add('dynamic-import', node.source, node, anc, caught);
    },
    ImportDeclaration(n, _state, ancestors) {
      add('import', (n as AnyNode).source, n as AnyNode, ancestors as AnyNode[]);
    },
    ExportNamedDeclaration(n, _state, ancestors) {
      if ((n as AnyNode).source) add('import', (n as AnyNode).source, n as AnyNode, ancestors as AnyNode[]);
    },
    BinaryExpression(n, _state, ancestors) {
      const parent = (ancestors as AnyNode[])[ancestors.length - 2];
      if (parent?.type === 'BinaryExpression' && parent.operator === '+') return; // the whole sum is looked at
      const built = dirnamePath(n as AnyNode);
      if (built) add('path', built, n as AnyNode, ancestors as AnyNode[]);
    },
    TemplateLiteral(n, _state, ancestors) {
      const built = dirnamePath(n as AnyNode);
      if (built) add('path', built, n as AnyNode, ancestors as AnyNode[]);
    },
    ExportAllDeclaration(n, _state, ancestors) {
      add('import', (n as AnyNode).source, n as AnyNode, ancestors as AnyNode[]);
    },
    NewExpression(n, _state, ancestors) {
      const node = n as AnyNode;
      if (node.callee.type === 'Identifier' && node.callee.name === 'URL' && node.arguments.length === 2) {
        const base = node.arguments[1] as AnyNode;
        if (isImportMetaUrl(base)) {
          add('url', node.arguments[0], node, ancestors as AnyNode[]);
        }
      }
    },
    // Bindings named "require" hide the module's require in their scope (browserify bundles, UMD).
    VariableDeclarator(n, _state, ancestors) {
      const node = n as AnyNode;
      if (
        node.id.type === 'Identifier' &&
        node.id.name === 'require' &&
        !(node.init?.type === 'CallExpression' && isCreateRequire(node.init.callee))
      ) {
        shadowing.add(innermostScope(ancestors as AnyNode[], node));
      }
    },
    Function(n, _state, ancestors) {
      const node = n as AnyNode;
      if (node.params.some((p: AnyNode) => p.type === 'Identifier' && p.name === 'require')) shadowing.add(node);
      if (node.type === 'FunctionDeclaration' && node.id?.name === 'require') shadowing.add(innermostScope(ancestors as AnyNode[], node));
    },
  });

  const references: Reference[] = [];
  const dynamic: DynamicReference[] = [];
  for (const call of pending) {
    if ((call.kind === 'require' || call.kind === 'require.resolve') && call.scopes.some((s) => shadowing.has(s))) continue;
    const value = staticString(call.arg);
    if (value !== undefined) {
      references.push({ kind: call.kind, specifier: value, optional: call.optional, offset: call.offset });
    } else {
      const parts = templateParts(call.arg);
      dynamic.push({ kind: call.kind, offset: call.offset, ...(parts ? { parts } : {}) });
    }
  }
  return { references, dynamic };
}

/** fs functions that list a folder. */
const LIST_FOLDER = ['readdirSync', 'readdir', 'opendirSync', 'opendir'];

function isStringLiteral(node: AnyNode | undefined): boolean {
  return node?.type === 'Literal' && typeof node.value === 'string';
}

/** requireDirectory(...) or require('require-directory')(...). */
function isRequireDirectory(callee: AnyNode): boolean {
  if (callee.type === 'Identifier') return /^requireDir(ectory)?$/i.test(callee.name);
  return (
    callee.type === 'CallExpression' &&
    callee.callee.type === 'Identifier' &&
    callee.callee.name === 'require' &&
    callee.arguments[0]?.value === 'require-directory'
  );
}

function calleeNamed(callee: AnyNode, name: string): boolean {
  return (
    (callee.type === 'Identifier' && callee.name === name) ||
    (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier' && callee.property.name === name)
  );
}

/** The module's folder: __dirname, or import.meta.dirname in an ES module (Node 20.11+). */
const isDirname = (node: AnyNode | undefined): boolean =>
  (node?.type === 'Identifier' && node.name === '__dirname') ||
  (node?.type === 'MemberExpression' &&
    !node.computed &&
    isImportMeta(node.object) &&
    node.property.type === 'Identifier' &&
    node.property.name === 'dirname');

/**
 * Constants naming the module's folder or one built from it, by the relative path they hold:
 * `const root = path.resolve(__dirname, '..')` makes a later path.join(root, 'public') the app's
 * public folder. In source order, so that one may be built from another; patterns are not folders.
 */
function folderAliases(ast: Node): Map<string, string> {
  const folders = new Map<string, string>();
  simple(ast, {
    VariableDeclaration(n) {
      const decl = n as AnyNode;
      if (decl.kind !== 'const') return;
      for (const d of decl.declarations as AnyNode[]) {
        if (d.id.type !== 'Identifier' || !d.init || d.id.name === '__dirname') continue;
        const rel = isDirname(d.init) || isOwnFolder(d.init) ? '.' : (builtPath(d.init, folders)?.value as string | undefined);
        if (rel !== undefined && !rel.includes('*')) folders.set(d.id.name as string, rel);
      }
    },
  });
  return folders;
}

/**
 * A path built from the module's folder, as a relative specifier: path.join(__dirname, 'a', 'b.js') and
 * path.resolve(...) -> './a/b.js'; __dirname + '/b.js' and `${__dirname}/b.js` likewise; and from a
 * constant naming such a folder (folderAliases). Returned as a literal node so that it goes through
 * the same path as other references.
 */
function builtPath(arg: AnyNode, folders: ReadonlyMap<string, string>): AnyNode | undefined {
  const folderOf = (node: AnyNode | undefined): string | undefined =>
    isDirname(node) ? '.' : node?.type === 'Identifier' ? folders.get(node.name as string) : undefined;
  let rel: string | undefined;
  if (arg.type === 'CallExpression' && (calleeNamed(arg.callee, 'join') || calleeNamed(arg.callee, 'resolve'))) {
    const base = folderOf(arg.arguments[0]);
    const rest = (arg.arguments as AnyNode[]).slice(1);
    if (base !== undefined && rest.length > 0 && !rest.some((a) => a.type === 'SpreadElement'))
      rel = `${base}/${rest.map(patternString).join('/')}`;
  } else if (arg.type === 'BinaryExpression' && arg.operator === '+') {
    const operands: AnyNode[] = [];
    const flatten = (n: AnyNode): void => {
      if (n.type === 'BinaryExpression' && n.operator === '+') {
        flatten(n.left);
        flatten(n.right);
      } else operands.push(n);
    };
    flatten(arg);
    const base = folderOf(operands[0]);
    const s = base !== undefined ? operands.slice(1).map(patternString).join('') : undefined;
    if (s?.startsWith('/')) rel = `${base}${s}`;
  } else if (
    arg.type === 'TemplateLiteral' &&
    arg.expressions.length >= 1 &&
    folderOf(arg.expressions[0]) !== undefined &&
    arg.quasis[0].value.cooked === ''
  ) {
    const s = patternString({ ...arg, quasis: arg.quasis.slice(1), expressions: arg.expressions.slice(1) });
    if (s.startsWith('/')) rel = `${folderOf(arg.expressions[0])}${s}`;
  }
  // A computed part is a wildcard: path.join(__dirname, 'templates', name + '.hbs') names the files
  // that templates/*.hbs matches. Not when nothing but wildcards is left: path.join(__dirname, name)
  // could name anything beside the module.
  if (rel !== undefined && rel.includes(COMPUTED) && !/[^*/.]/.test(rel.replace(/^(\.\.?\/)+/, '').replaceAll(COMPUTED, '')))
    return undefined;
  return rel === undefined ? undefined : { type: 'Literal', value: rel.replaceAll(COMPUTED, '*'), start: arg.start, end: arg.end };
}

/** Stands for a computed part in a path pattern until the pattern is checked (dirnamePath). */
const COMPUTED = '\u0000';

/** A string expression as a pattern: its static parts, and COMPUTED for each computed one. */
function patternString(node: AnyNode): string {
  const known = staticString(node);
  if (known !== undefined) return known;
  if (node.type === 'BinaryExpression' && node.operator === '+') return patternString(node.left) + patternString(node.right);
  if (node.type === 'TemplateLiteral') {
    return (node.quasis as AnyNode[]).map((q, i) => (q.value.cooked ?? '') + (i < node.expressions.length ? COMPUTED : '')).join('');
  }
  return COMPUTED;
}

/**
 * The module's folder computed as ES modules did before import.meta.dirname, or from __filename:
 * path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(new URL('.', import.meta.url)),
 * path.dirname(__filename).
 */
function isOwnFolder(node: AnyNode): boolean {
  const isFileOfModule = (n: AnyNode | undefined): boolean =>
    (n?.type === 'Identifier' && n.name === '__filename') ||
    (n?.type === 'CallExpression' && calleeNamed(n.callee, 'fileURLToPath') && isImportMetaUrl(n.arguments[0]));
  if (node.type !== 'CallExpression') return false;
  if (calleeNamed(node.callee, 'dirname')) return isFileOfModule(node.arguments[0]);
  if (!calleeNamed(node.callee, 'fileURLToPath')) return false;
  const url = node.arguments[0] as AnyNode | undefined;
  return (
    url?.type === 'NewExpression' &&
    url.callee.type === 'Identifier' &&
    url.callee.name === 'URL' &&
    (url.arguments[0]?.value === '.' || url.arguments[0]?.value === './') &&
    isImportMetaUrl(url.arguments[1])
  );
}

function isImportMetaUrl(node: AnyNode | undefined): boolean {
  return node?.type === 'MemberExpression' && !node.computed && node.property.name === 'url' && isImportMeta(node.object);
}

/** The module's own URL: import.meta.url, or pathToFileURL(__filename) (also url.pathToFileURL(...)). */
function isOwnUrl(node: AnyNode | undefined): boolean {
  if (!node) return false;
  if (isImportMetaUrl(node)) return true;
  return (
    node.type === 'CallExpression' &&
    calleeNamed(node.callee, 'pathToFileURL') &&
    node.arguments[0]?.type === 'Identifier' &&
    node.arguments[0].name === '__filename'
  );
}

function isImportMeta(node: AnyNode): boolean {
  return node.type === 'MetaProperty' && node.meta.name === 'import' && node.property.name === 'meta';
}

function isCreateRequire(callee: AnyNode): boolean {
  return (
    (callee.type === 'Identifier' && callee.name === 'createRequire') ||
    (callee.type === 'MemberExpression' && !callee.computed && callee.property.name === 'createRequire')
  );
}

function staticString(node: AnyNode): string | undefined {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked ?? undefined;
  if (node.type === 'BinaryExpression' && node.operator === '+') {
    const left = staticString(node.left);
    const right = left === undefined ? undefined : staticString(node.right);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  return undefined;
}

/**
 * `./x/${a}.js` and './x/' + a + '.js' become ['./x/', '.js']: literal parts with one computed part
 * between each pair. Returns undefined when the expression does not start with a literal.
 */
function templateParts(node: AnyNode): string[] | undefined {
  const parts: string[] = [''];
  const walk = (n: AnyNode): boolean => {
    const s = staticString(n);
    if (s !== undefined) {
      parts[parts.length - 1] += s;
      return true;
    }
    if (n.type === 'TemplateLiteral') {
      n.quasis.forEach((q: AnyNode, i: number) => {
        parts[parts.length - 1] += q.value.cooked ?? '';
        if (i < n.expressions.length) parts.push('');
      });
      return true;
    }
    if (n.type === 'BinaryExpression' && n.operator === '+') return walk(n.left) && walk(n.right);
    parts.push('');
    return true;
  };
  walk(node);
  return parts.length > 1 && parts[0] !== '' ? parts : undefined;
}

/**
 * Whether CommonJS code may call import(): an import() expression, or a string that holds one in a
 * file that makes code from strings (`new Function('s', 'return import(s)')` hides import() from
 * bundlers; a message that mentions import( is not code). A quick text test rules out almost every
 * file; the few that mention `import(` are
 * tokenized, which tells comments (often JSDoc's `import('x').T`) from code. Errs on the side of true:
 * a file that does not tokenize counts as calling it.
 */
const IMPORT_CALL = /\bimport\s*\(/;

export function callsImport(source: string): boolean {
  return importCalls(source) !== 'none';
}

/**
 * How CommonJS code may call import(): not at all, only through import() expressions of its own
 * (which the runtime can see coming: runtime/cjs-hooks.ts), or possibly from code it makes from
 * strings (or code that does not tokenize), which needs the ES module hooks ready before it runs.
 */
export function importCalls(source: string): 'none' | 'expressions' | 'strings' {
  if (!IMPORT_CALL.test(source)) return 'none';
  try {
    let previous: unknown;
    let previousName: string | undefined;
    let sawImport = false;
    let expression = false;
    let importInString = false;
    let makesCode = false;
    for (const token of tokenizer(source, { ecmaVersion: 'latest', allowHashBang: true, allowReturnOutsideFunction: true })) {
      if (sawImport && token.type === tokTypes.parenL) expression = true;
      const value = (token as { value?: unknown }).value;
      if ((token.type === tokTypes.string || token.type === tokTypes.template) && IMPORT_CALL.test(String(value))) importInString = true;
      // Function(...), new Function(...), eval(...): strings may become code
      if (token.type === tokTypes.parenL && (previousName === 'Function' || previousName === 'eval')) makesCode = true;
      if (importInString && makesCode) return 'strings';
      previousName = token.type === tokTypes.name && previous !== tokTypes.dot ? String(value) : undefined;
      sawImport = token.type === tokTypes._import && previous !== tokTypes.dot && previous !== tokTypes.questionDot;
      previous = token.type;
    }
    return expression ? 'expressions' : 'none';
  } catch {
    return 'strings';
  }
}

/** 1-based line and column of `offset` in `source`. */
export function lineAndColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
