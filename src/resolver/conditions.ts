/**
 * The export conditions a Node line applies by default (helpers.js getCjsConditions and
 * esm/utils.js initializeDefaultConditions): "module-sync" only where require(esm) is enabled.
 */
export interface ConditionOptions {
  /** process.features.require_module of the Node in question. */
  requireModule: boolean;
  /**
   * Whether require(esm) of packed modules can work: only with module.registerHooks (22.15+). Before
   * that, Node links a required ES module's imports with its default resolver, ignoring loader hooks,
   * so "module-sync" is left out of require() conditions and packages load their "default" (CommonJS)
   * build, which the condition's contract makes equivalent.
   */
  packedRequireEsm?: boolean;
  /** --no-addons drops "node-addons". */
  addons?: boolean;
  /** --conditions / -C values. */
  user?: readonly string[];
}

export interface ConditionSets {
  require: ReadonlySet<string>;
  import: ReadonlySet<string>;
}

export function defaultConditions({ requireModule, packedRequireEsm = true, addons = true, user = [] }: ConditionOptions): ConditionSets {
  const extra = [...(addons ? ['node-addons'] : []), ...user];
  const sync = requireModule ? ['module-sync'] : [];
  return {
    require: new Set(['require', 'node', ...extra, ...(packedRequireEsm ? sync : [])]),
    import: new Set(['node', 'import', ...sync, ...extra]),
  };
}

/** A set of conditions as one comparable string (sorted: Node's order is not part of the meaning). */
export function conditionsKey(conditions: Iterable<string>): string {
  return [...conditions].sort().join(',');
}
