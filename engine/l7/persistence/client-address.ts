// Client-address persistence through hash groups: one group per hash of the address.
import type { HashGroupTable } from './hash-groups.js';
import type { Persistence } from './persistence.js';

export class ClientAddressPersistence implements Persistence {
  constructor(private readonly table: HashGroupTable) {}
  lookup(_req: unknown, client: string): number { return this.table.lookup(client); }
  chosen(_req: unknown, client: string, server: number): string {
    if (this.table.lookup(client) !== server) this.table.assign(client, server);
    return '';
  }
  learn(): void {}
}
