#!/usr/bin/env node
// Runs the built CLI when present (the published package), otherwise the TypeScript sources directly
// (Node 24 strips types; this works in a checkout, not under node_modules).
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/main.ts', import.meta.url).href);
