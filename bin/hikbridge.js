#!/usr/bin/env node
// Launcher: runs the command as JavaScript compiled from the TypeScript sources (bin/compile.js
// says why and how), so `npx hikbridge` needs no build step. HIKBRIDGE_FROM_SOURCE=1 runs the
// sources through tsx instead, which is also the fallback when dist/ cannot be written.
import { compiledEntry, SOURCE_ENTRY } from './compile.js';

let entry;
if (process.env.HIKBRIDGE_FROM_SOURCE !== '1') {
  try {
    entry = await compiledEntry();
  } catch (error) {
    // A mistake in the sources: esbuild has printed it (file, line, what is wrong) itself.
    if (error?.errors?.some?.((problem) => problem.location)) process.exit(1);
    process.stderr.write(
      `hikbridge: cannot compile into dist/ (${error?.message}); running the sources through tsx\n`,
    );
  }
}
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = SOURCE_ENTRY;
} else {
  // Stack traces name the TypeScript files and lines, not the bundle's.
  process.setSourceMapsEnabled(true);
}
await import(entry);
