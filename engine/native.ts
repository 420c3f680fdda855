// Loads the C++ addon built by cmake-js.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const require = createRequire(import.meta.url);
export const native = require(path.join(packageRoot(), 'build/Release/lbarray.node'));
