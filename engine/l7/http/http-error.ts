// A classified HTTP failure: the status the client gets, a stable code the tests
// assert, one sentence for the error page. Parsers throw nothing else.
import { LbError } from '../../errors.js';

export class HttpError extends LbError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export const badRequest = (code: string, message: string): HttpError => new HttpError(400, code, message);
