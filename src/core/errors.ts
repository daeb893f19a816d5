/**
 * Application errors with a stable code, an HTTP status and a message for the user. The API
 * turns them into `{ error: { code, message, details } }`; anything else becomes a 500 whose
 * message says nothing internal.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: nothing was changed. */
export class InputError extends AppError {
  constructor(message: string, field?: string) {
    super('invalid_input', 400, message, field ? { field } : undefined);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('not_found', 404, `No ${what} with id "${id}".`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

/** A device answered, but not the way the operation needs (its DeviceError code is kept). */
export class DeviceOperationError extends AppError {
  constructor(deviceCode: string, message: string) {
    super(`device_${deviceCode}`, 502, message);
  }
}
