// The persistence tables and their sync in the node's Prometheus registry, read at each scrape
// (the counts live in the sync and the shared tables; nothing is counted twice).
import { Counter, Gauge, type Registry } from 'prom-client';
import { filledCells } from '../l7/persistence/table-shadow.js';
import type { PersistenceSync, PoolTable } from './persistence-sync.js';

const RESULTS = ['sent', 'received', 'ignored', 'rejected', 'foreign'] as const;

/** Filled hash groups of a table (each a key, or several that collide, remembered). */
export const filledGroups = (cells: Int32Array): number => filledCells(cells).length / 2;

export function registerPersistenceMetrics(registry: Registry, sources: { sync(): PersistenceSync | null; tables(): readonly PoolTable[] }): void {
  new Counter({
    name: 'lbarray_persistence_sync_datagrams_total',
    help: 'Persistence sync datagrams, by result: sent, received (stored or a dump request), ignored (a pool that differs here), rejected (malformed), foreign (not from a node).',
    labelNames: ['result'] as const, registers: [registry],
    collect() {
      const c = sources.sync()?.counters;
      if (c === undefined) return;
      this.reset();
      for (const result of RESULTS) this.inc({ result }, c[result]);
    },
  });
  new Gauge({
    name: 'lbarray_persistence_groups', help: 'Filled hash groups of each pool\'s persistence table (session IDs, client addresses).',
    labelNames: ['pool'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const t of sources.tables()) this.set({ pool: t.pool }, filledGroups(t.cells));
    },
  });
}
