export async function run(_args, config) {
  console.log(`${config.name} ${config.version}\n  add <text>   add a thing to do\n  count ...    count things to do`);
}
