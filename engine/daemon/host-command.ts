// Runs the system tools the scheduler role configures its host with (ip, nft, ping). A failure is
// one LbError with a stable code and the tool's last words, never a stack trace for the operator.
import { execFile } from 'node:child_process';
import { LbError } from '../errors.js';

export function hostCommand(argv: readonly string[], opts: { input?: string; code?: string; timeoutMs?: number } = {}): Promise<string> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(file!, args, { timeout: opts.timeoutMs ?? 10_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const why = (stderr || error.message).trim().split('\n').slice(-2).join(' | ');
      reject(new LbError(opts.code ?? 'ERR_HOST_COMMAND', `\`${argv.join(' ')}\` failed: ${why}`, { cause: error }));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
