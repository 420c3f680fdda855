// Lab state files under /run/lbarray/labs/: written before the first namespace exists, so a lab
// whose owner crashed can still be found (and removed) by its prefix.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PlannedHost } from './topology.js';

export const defaultStateDir = '/run/lbarray/labs';

export interface LabState {
  prefix: string;
  ownerPid: number;
  createdAt: string;
  namespaces: string[];
  switchNs?: string;
  hosts: PlannedHost[];
  vip?: { v4: string; v6: string };
}

function file(dir: string, prefix: string): string {
  return path.join(dir, `${prefix.replace(/-$/, '')}.json`);
}

export async function writeState(dir: string, state: LabState): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const target = file(dir, state.prefix);
  await fs.writeFile(`${target}.tmp`, JSON.stringify(state, null, 2));
  await fs.rename(`${target}.tmp`, target);
}

export async function readState(dir: string, prefix: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await fs.readFile(file(dir, prefix), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export async function listStates(dir: string): Promise<LabState[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const states: LabState[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      states.push(JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as LabState);
    } catch {
      // a half-written or foreign file: not ours to judge
    }
  }
  return states;
}

export async function removeState(dir: string, prefix: string): Promise<void> {
  await fs.rm(file(dir, prefix), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
