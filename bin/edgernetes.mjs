#!/usr/bin/env node
// Entry point of `edgernetes`: the compiled CLI when `npm run build` is current, else the sources via tsx.
import { launch } from './launch.mjs';
await launch('cli/edgernetes');
