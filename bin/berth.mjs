#!/usr/bin/env node
// Entry point for the `berth` command: loads the TypeScript sources through tsx, so a fresh
// clone runs after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
