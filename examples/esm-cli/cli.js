#!/usr/bin/env node
// An ES module CLI: `todo add <text>`, `todo count`. Each command is a module loaded on demand.
import config from './config.json' with { type: 'json' };
import { version } from '#version';

const [command = 'help', ...args] = process.argv.slice(2);
const known = ['add', 'count', 'help'];
if (!known.includes(command)) {
  console.error(`unknown command "${command}"; try: ${known.join(', ')}`);
  process.exit(2);
}
const { run } = await import(`./commands/${command}.js`);
await run(args, { ...config, version });
