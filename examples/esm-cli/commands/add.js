export async function run(args, config) {
  const text = args.join(' ');
  if (!text) throw new Error('nothing to add: todo add <text>');
  console.log(`${config.name}: added "${text}"`);
}
