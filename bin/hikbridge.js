#!/usr/bin/env node
// Launcher: runs the TypeScript sources directly through tsx, so `npx hikbridge` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
