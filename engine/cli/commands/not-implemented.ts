// Commands whose engine is still being built say so plainly (exit code 2), never pretend.
import { LbError } from '../../errors.js';

export const EXIT_NOT_IMPLEMENTED = 2;

export function notImplemented(command: string, waitingFor: string): never {
  throw new LbError('ERR_NOT_IMPLEMENTED', `the "${command}" command is not implemented yet (it needs ${waitingFor}).`);
}
