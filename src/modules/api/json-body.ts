/**
 * The API's JSON body parser. Fastify's own parser refuses `__proto__` keys too, but answers
 * "Body is not valid JSON", which sends people looking for a syntax error that is not there.
 * This one names the key. `__proto__` anywhere, and a `constructor` holding a `prototype`, are
 * refused (prototype pollution); JSON.parse itself only ever creates own properties.
 */
import { AppError, InputError } from '../../core/errors.ts';

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) {
    throw new AppError('bad_request', 400, 'The body is empty; send JSON or leave out the content-type.');
  }
  let forbidden: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && isObject(value) && 'prototype' in value)) {
        forbidden ??= key;
      }
      return value;
    });
  } catch {
    throw new AppError('bad_request', 400, 'Body is not valid JSON.');
  }
  if (forbidden) throw new InputError(`body: the key "${forbidden}" is not allowed`, forbidden);
  return parsed;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
