// Argument checks before crossing into C++ (sharp's habit): the C++ side then
// assumes clean input. Every failure is ERR_INVALID_ARG with one sentence.
import { LbError } from '../errors.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Uint8Array).length}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

export function invalid(expected: string, what: string, value: unknown): LbError {
  return new LbError('ERR_INVALID_ARG', `Expected ${expected} for ${what} but received ${describe(value)}.`);
}

export function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`an integer between ${min} and ${max}`, what, value);
  }
  return value;
}

export function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw invalid('a boolean', what, value);
  return value;
}

export function string(value: unknown, what: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) {
    throw invalid(pattern ? `a string matching ${pattern}` : 'a non-empty string', what, value);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, what: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !choices.includes(value as T)) {
    throw invalid(`one of ${choices.join(', ')}`, what, value);
  }
  return value as T;
}

export function bytes(value: unknown, what: string, minLength = 0): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < minLength) {
    throw invalid(`a Uint8Array of at least ${minLength} bytes`, what, value);
  }
  return value;
}

export function int32s(value: unknown, what: string, minLength: number): Int32Array {
  if (!(value instanceof Int32Array) || value.length < minLength) {
    throw invalid(`an Int32Array of at least ${minLength} elements`, what, value);
  }
  return value;
}

export function powerOfTwo(value: unknown, what: string, min: number, max: number): number {
  const n = integer(value, what, min, max);
  if ((n & (n - 1)) !== 0) throw invalid(`a power of two between ${min} and ${max}`, what, value);
  return n;
}
