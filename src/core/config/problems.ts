/**
 * Turning validation issues into messages a user can act on: which key, what it accepts, what it
 * got and where that came from. Secret values are shown as *** — in every message, whatever the
 * issue.
 */
import type { z } from 'zod';
import { MASK, redactSecretsInText } from '../logger/redact.ts';
import { expectationFor, keysAt, schemaAt } from './fields.ts';
import { type ConfigProblem, type ValueOrigins, valueAt } from './layers.ts';
import { closestMatch, didYouMean } from './suggest.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.problems = problems;
  }
}

function formatProblems(problems: ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [
    `invalid configuration (${count}):`,
    ...problems.map((problem) => `  ${problem.path}: ${problem.message}`),
  ].join('\n');
}

export interface IssueContext {
  /** The merged input that was validated. */
  input: unknown;
  origins: ValueOrigins;
}

export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  context: IssueContext,
): ConfigProblem[] {
  return issues.flatMap((issue) => problemsFromIssue(issue, context));
}

function problemsFromIssue(issue: z.core.$ZodIssue, context: IssueContext): ConfigProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => unknownKeyProblem([...path, key], context));
  }
  const message = issue.code === 'custom' ? issue.message : expectedButGot(path, context);
  return [{ path: dotted(path), message: `${message}${fromSource(path, context)}` }];
}

function unknownKeyProblem(path: string[], context: IssueContext): ConfigProblem {
  const key = path[path.length - 1]!;
  const suggestion = closestMatch(key, keysAt(path.slice(0, -1)));
  return { path: dotted(path), message: `unknown key${didYouMean(suggestion)}${fromSource(path, context)}` };
}

function expectedButGot(path: string[], context: IssueContext): string {
  const found = schemaAt(path);
  const expected = found ? expectationFor(found.schema) : 'a valid value';
  const shown = found?.secret ? MASK : showValue(valueAt(context.input, path));
  return `expected ${expected}, got ${shown}`;
}

function fromSource(path: readonly string[], context: IssueContext): string {
  const source = context.origins.sourceOf(path);
  return source ? ` (from ${source})` : '';
}

function dotted(path: readonly string[]): string {
  return path.length > 0 ? path.join('.') : '(top level)';
}

const MAX_SHOWN_LENGTH = 60;

/** A short, safe rendering of a rejected value. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a map';
  if (typeof value !== 'string') return String(value);
  // Not a secret field, but a URL typed into the wrong key can still carry a password.
  const text = redactSecretsInText(value);
  return JSON.stringify(text.length > MAX_SHOWN_LENGTH ? `${text.slice(0, MAX_SHOWN_LENGTH)}…` : text);
}
