// Hooks: `lbarray lab up` builds the lab network (namespaces, bridge, VIP on the nodes' loopback)
// described by the config (examples/lab.yaml by default); `lbarray lab down` removes everything a
// run made, also after a crash. Each resolves with the exit code.
import type { Config } from '../../config/index.js';
import type { CliIo } from '../io.js';
import { notImplemented } from './not-implemented.js';

export interface LabOptions {
  config: Config;
  io: CliIo;
}

export async function labUp(_opts: LabOptions): Promise<number> {
  return notImplemented('lab up', 'the lab builder (engine/lab)');
}

export async function labDown(_opts: { io: CliIo }): Promise<number> {
  return notImplemented('lab down', 'the lab builder (engine/lab)');
}
