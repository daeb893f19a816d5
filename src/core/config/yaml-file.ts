/**
 * The file layer: a YAML document whose top level is a map of settings. Syntax errors are
 * reported with line and column; values keep their position so later problems can point at
 * the line too.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { isPlainObject } from '../logger/redact.ts';
import type { ConfigLayer, ConfigProblem } from './layers.ts';

export function readYamlLayer(file: string, cwd: string): ConfigLayer {
  const absolute = resolve(cwd, file);
  const empty = (problem: ConfigProblem): ConfigLayer => ({
    values: {},
    problems: [problem],
    sourceOf: () => file,
  });
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? `config file not found (${absolute})` : `cannot read config file (${code})`;
    return empty({ path: file, message });
  }
  return parseYamlLayer(text, file);
}

/** `label` names the file in messages (`config.yaml:3:7`). */
export function parseYamlLayer(text: string, label: string): ConfigLayer {
  const lines = new LineCounter();
  // prettyErrors off: pretty messages quote the offending source line, which may hold a secret.
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const position = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${label}:${line}:${col}`;
  };
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => ({
      path: position(error.pos[0]),
      message: `YAML syntax error: ${error.message}`,
    }));
    return { values: {}, problems, sourceOf: () => label };
  }
  const values = document.toJS({ maxAliasCount: 50 }) as unknown;
  const sourceOf = (path: readonly string[]) => {
    const offset = keyOffset(document, path);
    return offset === undefined ? label : position(offset);
  };
  // An empty file (or only comments) means "all defaults".
  if (values === null || values === undefined) return { values: {}, problems: [], sourceOf };
  if (!isPlainObject(values)) {
    const problem = {
      path: label,
      message: 'expected a map of settings at the top level (key: value lines)',
    };
    return { values: {}, problems: [problem], sourceOf };
  }
  return { values, problems: [], sourceOf };
}

/** Offset of the key that sets `path`, so messages point at `port:` rather than the value. */
function keyOffset(document: Document, path: readonly string[]): number | undefined {
  const parent = path.length > 1 ? document.getIn(path.slice(0, -1), true) : document.contents;
  if (!isMap(parent)) return undefined;
  const key = path[path.length - 1];
  const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
  const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
  return range?.[0];
}
