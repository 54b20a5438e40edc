#!/usr/bin/env node
// In a checkout, runs the TypeScript sources directly (Node 24 strips types); in the published package, which
// ships dist/ and no src/, runs the build. (Node does not strip types under node_modules.)
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
await import(existsSync(source) ? source.href : new URL('../dist/main.js', import.meta.url).href);
