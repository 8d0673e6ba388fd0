#!/usr/bin/env node
// Entry point of edgectl: runs the TypeScript CLI through tsx's loader (no separate build step).
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/edgectl/main.ts');
