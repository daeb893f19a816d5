/** Writes docs/config.md from the config schema: `npm run docs:config`. */
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/core/config/index.ts';

const target = new URL('../docs/config.md', import.meta.url);
writeFileSync(target, renderConfigDocs());
process.stdout.write(`wrote ${target.pathname}\n`);
