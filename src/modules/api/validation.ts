/**
 * Request validation: bodies are strict (no type coercion, unknown fields rejected), query
 * strings and path parameters are coerced from text. Errors are phrased for people.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** "body.port: must be <= 65535", "body: unknown field \"foo\"". */
export function describeValidationErrors(
  errors: ErrorObject[] | Array<Partial<ErrorObject>>,
  context: string,
): string {
  const lines = errors.map((error) => {
    const where = `${context}${(error.instancePath ?? '').replaceAll('/', '.')}`;
    const params = (error.params ?? {}) as Record<string, unknown>;
    switch (error.keyword) {
      case 'additionalProperties':
        return `${where}: unknown field "${String(params.additionalProperty)}"`;
      case 'required':
        return `${where}: "${String(params.missingProperty)}" is required`;
      case 'type':
        return `${where}: must be ${String(params.type)}`;
      case 'minProperties':
        return `${where}: give at least one field to change`;
      default:
        return `${where}: ${error.message ?? 'is not valid'}`;
    }
  });
  return [...new Set(lines)].join('; ');
}
