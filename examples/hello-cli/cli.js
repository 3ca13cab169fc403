#!/usr/bin/env node
// Greets in the language asked for, from a template file packed inside the executable.
const fs = require('fs');
const path = require('path');
const { format } = require('./lib/format');

const [lang = 'en', name = 'world'] = process.argv.slice(2);
const file = path.join(__dirname, 'templates', `${lang}.txt`);
if (!fs.existsSync(file)) {
  const known = fs.readdirSync(path.join(__dirname, 'templates')).map((f) => path.basename(f, '.txt'));
  console.error(`unknown language "${lang}"; try one of: ${known.join(', ')}`);
  process.exit(2);
}
console.log(format(fs.readFileSync(file, 'utf8'), { name }));
