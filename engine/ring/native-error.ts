// The addon throws plain Errors carrying a stable `code`; callers get LbError.
import { LbError } from '../errors.js';

export function asLbError(e: unknown): unknown {
  if (e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && !(e instanceof LbError)) {
    return new LbError((e as Error & { code: string }).code, e.message, { cause: e });
  }
  return e;
}

/** Runs a native call, turning its coded errors into LbError. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asLbError(e);
  }
}
