// One error class with a stable code per failure (undici's habit): tests assert
// the code, operators read the one-sentence message.
export class LbError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LbError';
    this.code = code;
  }
}

export function isLbError(e: unknown, code?: string): e is LbError {
  return e instanceof LbError && (code === undefined || e.code === code);
}
