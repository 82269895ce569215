#!/usr/bin/env node
// The package bin `jobs`: runs ./jobs.ts through tsx's loader (this repository ships
// TypeScript without a build step), the same entry point as `npm run jobs`.
require('tsx/cjs');
require('./jobs.ts');
