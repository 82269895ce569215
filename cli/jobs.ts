/**
 * `npm run jobs -- <command>` and the package bin `jobs` (./jobs-bin.cjs): the
 * tenant's CLI on the typed client (README, "CLI"). The commands are in ./jobs/program.ts.
 */
import { main } from './jobs/program';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 70;
  },
);
