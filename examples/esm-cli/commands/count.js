export async function run(args, config) {
  console.log(`${config.name} ${config.version}: ${args.length} ${config.greeting}`);
}
