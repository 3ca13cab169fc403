// thumb <input image> <output.png> [width]: writes a thumbnail. sharp's addon is extracted on first use
// into the per-user cache (OXPACK_DEBUG=addons shows where).
const sharp = require('sharp');

const [input, output, width = '128'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: thumb <input image> <output.png> [width]');
  process.exit(2);
}
sharp(input)
  .resize(Number(width))
  .png()
  .toFile(output)
  .then((info) => console.log(`${output}: ${info.width}x${info.height}`))
  .catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
