// The running config and its reload (SIGHUP, `lbarray reload`, POST /reload): a new file is read
// and validated in full before anything changes; a bad one is refused with a logged error and
// the running config stays. Listeners of 'config' apply the new one (pools, routes, policies).
import { EventEmitter } from 'node:events';
import { isLbError } from '../errors.js';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { loadConfig, type Config } from '../config/index.js';
import { logger } from '../log.js';
import type { ReloadResult } from '../admin/status.js';

interface Events {
  /** A new config was accepted: (next, previous). */
  config: [Config, Config];
  /** A reload was refused; the running config stays. */
  rejected: [readonly ConfigIssue[]];
}

// Fields whose change needs a restart of the daemon: they shape sockets, rings, tables, the
// election and node health, all set up at start. Node weights apply live (the scheduler part).
function restartOnly(c: Config): Record<string, unknown> {
  return {
    name: c.name,
    vip: c.vip,
    nodes: c.nodes.map((n) => [n.id, n.interface, n.ipv4, n.ipv6, n.mac, n.adminAddress, n.priority]),
    services: c.services.map((s) => [s.name, s.port, s.protocol]),
    scheduler: c.scheduler,
    'persistence.sync': c.persistence.sync,
    election: c.election,
    'healthChecks.nodes': c.healthChecks.nodes,
    admin: [c.admin.port, c.admin.token],
    proxyWorkers: c.proxy.workers,
    'logging.level': c.logging.level,
    'logging.format': c.logging.format,
  };
}

/** Names of the fields that changed but only take effect after a restart. */
export function restartRequired(prev: Config, next: Config): string[] {
  const a = restartOnly(prev);
  const b = restartOnly(next);
  return Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

export class ConfigStore extends EventEmitter<Events> {
  #current: Config;
  #generation = 1;
  #pending: Promise<ReloadResult> | undefined;

  /** `nodeId`: a new config that no longer lists this node is refused. */
  constructor(readonly file: string, initial: Config, readonly nodeId?: string) {
    super();
    this.#current = initial;
  }

  /** Loads `file` (throws ConfigError when it is invalid: at start-up there is nothing to keep). */
  static load(file: string, nodeId?: string): ConfigStore {
    return new ConfigStore(file, loadConfig(file), nodeId);
  }

  get current(): Config { return this.#current; }
  /** 1 at start, +1 for every accepted reload. */
  get generation(): number { return this.#generation; }

  /** Re-reads the file. Concurrent calls share one read. */
  reload(): Promise<ReloadResult> {
    this.#pending ??= this.#reload().finally(() => { this.#pending = undefined; });
    return this.#pending;
  }

  async #reload(): Promise<ReloadResult> {
    const log = logger('config');
    let next: Config;
    try {
      next = loadConfig(this.file);
      if (this.nodeId !== undefined && !next.nodes.some((n) => n.id === this.nodeId)) {
        return this.#refuse([{ path: 'nodes', message: `this node (${this.nodeId}) is no longer in the config` }]);
      }
    } catch (e) {
      if (e instanceof ConfigError) return this.#refuse(e.issues);
      if (isLbError(e)) return this.#refuse([{ path: '', message: e.message }]);
      throw e;
    }
    const prev = this.#current;
    const later = restartRequired(prev, next);
    this.#current = next;
    this.#generation++;
    log.info({ file: this.file, generation: this.#generation }, 'config reloaded');
    if (later.length > 0) log.warn({ fields: later }, `changes to ${later.join(', ')} take effect after a restart`);
    this.emit('config', next, prev);
    return { ok: true };
  }

  #refuse(issues: readonly ConfigIssue[]): ReloadResult {
    logger('config').error({ file: this.file, issues }, 'config refused; the running config stays');
    this.emit('rejected', issues);
    return { ok: false, issues };
  }
}
