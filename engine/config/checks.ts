// Rules that relate several fields of a schema-valid config (one function a rule, as data-driven
// as practical). Each returns problems as { path, message }; the loader adds the line numbers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { canonicalAddress } from './address.js';
import { clusterFamily } from './lookup.js';
import type { Config } from './schema.js';

/** A ticket key file: what Node's tls.Server takes (16 bytes name, 16 HMAC, 16 AES). */
const TICKET_KEY_BYTES = 48;

export interface RawIssue { path: PropertyKey[]; message: string }
type Rule = (c: Config) => RawIssue[];

function duplicates<T>(items: readonly T[], key: (t: T) => string | undefined, path: (i: number) => PropertyKey[], what: string): RawIssue[] {
  const seen = new Map<string, number>();
  const out: RawIssue[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else out.push({ path: path(i), message: `duplicate ${what} ${k} (also at index ${first})` });
  });
  return out;
}

const uniqueNodes: Rule = (c) => [
  ...duplicates(c.nodes, (n) => n.id, (i) => ['nodes', i, 'id'], 'node id'),
  ...duplicates(c.nodes, (n) => n.ipv4, (i) => ['nodes', i, 'ipv4'], 'node address'),
  ...duplicates(c.nodes, (n) => n.ipv6 && canonicalAddress(n.ipv6), (i) => ['nodes', i, 'ipv6'], 'node address'),
  ...duplicates(c.nodes, (n) => n.mac, (i) => ['nodes', i, 'mac'], 'node MAC'),
];

const nodesHaveAddresses: Rule = (c) => c.nodes.flatMap((n, i) => {
  const out: RawIssue[] = [];
  if (n.ipv4 === undefined && n.ipv6 === undefined) {
    out.push({ path: ['nodes', i], message: 'a node needs an ipv4 or an ipv6 address' });
  }
  return out;
});

const oneClusterFamily: Rule = (c) => (clusterFamily(c) !== null || c.nodes.some((n) => !n.ipv4 && !n.ipv6) ? [] : [{
  path: ['nodes'],
  message: `the nodes need one address family with the VIP (for the election, node probes and flow sync): give every node an ipv4 address${c.vip.ipv4 ? '' : ' and the VIP one'}, or every node an ipv6 address${c.vip.ipv6 ? '' : ' and the VIP one'}`,
}]);

const someNodeTakesFlows: Rule = (c) => (c.nodes.some((n) => n.weight > 0)
  ? [] : [{ path: ['nodes'], message: 'every node has weight 0: no node would take new flows' }]);

const uniqueServices: Rule = (c) => [
  ...duplicates(c.services, (s) => s.name, (i) => ['services', i, 'name'], 'service name'),
  ...duplicates(c.services, (s) => String(s.port), (i) => ['services', i, 'port'], 'service port'),
];

const serviceTls: Rule = (c) => c.services.flatMap((s, i) => {
  if (s.protocol === 'https' && !s.tls) return [{ path: ['services', i, 'tls'], message: 'an https service needs tls certificates' }];
  if (s.protocol === 'http' && s.tls) return [{ path: ['services', i, 'tls'], message: 'tls is set on an http service: use protocol https' }];
  return [];
});

// A redirect to the service's own scheme, host and port would send clients back to it forever.
const redirectsElsewhere: Rule = (c) => c.services.flatMap((s, i) => {
  const r = s.redirect;
  if (r === undefined || (r.scheme !== undefined && r.scheme !== s.protocol) || r.host !== undefined || (r.port !== undefined && r.port !== s.port)) return [];
  return [{ path: ['services', i, 'redirect'], message: 'the redirect leads back to this service: give another scheme, host or port' }];
});

function readable(file: string, path: PropertyKey[], what: string): RawIssue | string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { path, message: `cannot read ${what} ${file} (${code})` };
  }
}

const certificatesLoad: Rule = (c) => c.services.flatMap((s, i) => (s.tls?.certificates ?? []).flatMap((cert, j) => {
  const base = ['services', i, 'tls', 'certificates', j];
  const certText = readable(cert.cert, [...base, 'cert'], 'certificate');
  const keyText = readable(cert.key, [...base, 'key'], 'private key');
  const out = [certText, keyText].filter((x): x is RawIssue => typeof x !== 'string');
  if (out.length > 0) return out;
  let x509: crypto.X509Certificate;
  try { x509 = new crypto.X509Certificate(certText as string); } catch {
    return [{ path: [...base, 'cert'], message: `${cert.cert} holds no PEM certificate` }];
  }
  let key: crypto.KeyObject;
  try { key = crypto.createPrivateKey(keyText as string); } catch {
    return [{ path: [...base, 'key'], message: `${cert.key} holds no PEM private key (or it is encrypted)` }];
  }
  return x509.checkPrivateKey(key) ? [] : [{ path: [...base, 'key'], message: `${cert.key} does not match the certificate ${cert.cert}` }];
}));

const ticketKeysLoad: Rule = (c) => c.services.flatMap((s, i) => {
  const file = s.tls?.ticketKeyFile;
  if (file === undefined) return [];
  const path = ['services', i, 'tls', 'ticketKeyFile'];
  let size: number;
  try { size = fs.statSync(file).size; } catch (e) {
    return [{ path, message: `cannot read ticket key file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})` }];
  }
  return size === TICKET_KEY_BYTES ? [] : [{ path, message: `${file} holds ${size} bytes: expected ${TICKET_KEY_BYTES} (openssl rand ${TICKET_KEY_BYTES})` }];
});

const otherFilesReadable: Rule = (c) => {
  const out: RawIssue[] = [];
  for (const [name, p] of Object.entries(c.pools)) {
    if (p.tls && p.tls.ca) {
      const r = readable(p.tls.ca, ['pools', name, 'tls', 'ca'], 'CA bundle');
      if (typeof r !== 'string') out.push(r);
    }
  }
  if (c.admin.tokenFile) {
    const r = readable(c.admin.tokenFile, ['admin', 'tokenFile'], 'token file');
    if (typeof r !== 'string') out.push(r);
    else if (r.trim().length < 8) out.push({ path: ['admin', 'tokenFile'], message: 'the token file holds fewer than 8 characters' });
  }
  if (c.admin.token && c.admin.tokenFile) out.push({ path: ['admin', 'token'], message: 'set token or tokenFile, not both' });
  return out;
};

const routesReferencePools: Rule = (c) => c.routes.flatMap((r, i) => (r.pool in c.pools ? [] : [{
  path: ['routes', i, 'pool'],
  message: `unknown pool "${r.pool}" (pools: ${Object.keys(c.pools).join(', ') || 'none'})`,
}]));

const routesReachable: Rule = (c) => {
  const catchAll = c.routes.findIndex((r) => !r.match.host && !r.match.pathPrefix && !r.match.pathRegex);
  if (catchAll < 0 || catchAll === c.routes.length - 1) return [];
  return [{ path: ['routes', catchAll + 1], message: `never matches: routes[${catchAll}] has no match condition and takes every request` }];
};

const poolServers: Rule = (c) => Object.entries(c.pools).flatMap(([name, p]) => [
  ...duplicates(p.servers, (s) => `${canonicalAddress(s.address)} port ${s.port}`, (i) => ['pools', name, 'servers', i], 'server'),
  ...(p.servers.some((s) => s.weight > 0) ? [] : [{ path: ['pools', name, 'servers'], message: 'every server has weight 0: the pool could serve nothing' }]),
]);

// Only a pool that sets its own timeout or interval is told about it (the global check has its rule).
const poolCheckTimeouts: Rule = (c) => Object.entries(c.pools).flatMap(([name, p]) => {
  const own = p.healthCheck ?? {};
  const merged = { ...c.healthChecks.backend, ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) };
  const mine = merged.timeout !== c.healthChecks.backend.timeout || merged.interval !== c.healthChecks.backend.interval;
  return mine && merged.timeout > merged.interval
    ? [{ path: ['pools', name, 'healthCheck', 'timeout'], message: 'the check timeout is longer than its interval' }] : [];
});

const checkTimeouts: Rule = (c) => [
  ...(c.healthChecks.backend.timeout > c.healthChecks.backend.interval
    ? [{ path: ['healthChecks', 'backend', 'timeout'], message: 'the check timeout is longer than its interval' }] : []),
  ...(c.healthChecks.nodes.timeout > c.healthChecks.nodes.interval
    ? [{ path: ['healthChecks', 'nodes', 'timeout'], message: 'the probe timeout is longer than its interval' }] : []),
  ...(c.healthChecks.nodes.port !== undefined && !c.services.some((s) => s.port === c.healthChecks.nodes.port)
    ? [{ path: ['healthChecks', 'nodes', 'port'], message: `port ${c.healthChecks.nodes.port} is not a service port` }] : []),
  ...(c.healthChecks.nodes.port === undefined && !c.services.some((s) => s.protocol === 'http')
    ? [{ path: ['healthChecks', 'nodes'], message: 'no http service to probe nodes on: set healthChecks.nodes.port' }] : []),
];

// Flow sync and persistence sync each bind their UDP port on every address of the node.
const syncPortsApart: Rule = (c) => c.scheduler.flowSync.enabled && c.persistence.sync.enabled
  && c.scheduler.flowSync.port === c.persistence.sync.port
  ? [{ path: ['persistence', 'sync', 'port'], message: `UDP port ${c.persistence.sync.port} is scheduler.flowSync.port too: each sync needs its own` }] : [];

const vipSet = (c: Config) => new Set([c.vip.ipv4, c.vip.ipv6 && canonicalAddress(c.vip.ipv6)].filter(Boolean));

const nodesApartFromVip: Rule = (c) => {
  const vips = vipSet(c);
  const out: RawIssue[] = [];
  c.nodes.forEach((n, i) => {
    for (const k of ['ipv4', 'ipv6', 'adminAddress'] as const) {
      const a = n[k];
      if (a && vips.has(canonicalAddress(a))) out.push({ path: ['nodes', i, k], message: `${a} is a VIP: a node needs its own address` });
    }
    if (n.adminAddress && (n.adminAddress === '0.0.0.0' || canonicalAddress(n.adminAddress) === '::')) {
      out.push({ path: ['nodes', i, 'adminAddress'], message: 'the admin endpoint must listen on one address, not all (that would include the VIP)' });
    }
  });
  return out;
};

const serversApartFromVip: Rule = (c) => {
  const vips = vipSet(c);
  return Object.entries(c.pools).flatMap(([name, p]) => p.servers.flatMap((s, i) => (vips.has(canonicalAddress(s.address))
    ? [{ path: ['pools', name, 'servers', i, 'address'], message: `${s.address} is a VIP, not a back-end` }] : [])));
};

type Section = keyof Config;

// Each rule with the top-level sections it reads: when the schema rejects some sections, the
// rules over the sections that are valid still run, so one pass lists (nearly) every problem.
const RULES: Array<{ needs: Section[]; files?: true; run: Rule }> = [
  { needs: ['nodes'], run: uniqueNodes },
  { needs: ['nodes'], run: nodesHaveAddresses },
  { needs: ['vip', 'nodes'], run: oneClusterFamily },
  { needs: ['nodes'], run: someNodeTakesFlows },
  { needs: ['services'], run: uniqueServices },
  { needs: ['services'], run: serviceTls },
  { needs: ['services'], run: redirectsElsewhere },
  { needs: ['routes', 'pools'], run: routesReferencePools },
  { needs: ['routes'], run: routesReachable },
  { needs: ['pools'], run: poolServers },
  { needs: ['pools', 'healthChecks'], run: poolCheckTimeouts },
  { needs: ['healthChecks', 'services'], run: checkTimeouts },
  { needs: ['vip', 'nodes'], run: nodesApartFromVip },
  { needs: ['scheduler', 'persistence'], run: syncPortsApart },
  { needs: ['vip', 'pools'], run: serversApartFromVip },
  { needs: ['services'], files: true, run: certificatesLoad },
  { needs: ['services'], files: true, run: ticketKeysLoad },
  { needs: ['pools', 'admin'], files: true, run: otherFilesReadable },
];

/** Every cross-field problem among the sections given (all of them, for a schema-valid config);
 *  `files: false` skips reading certificate, key, CA and token files. */
export function crossCheck(c: Partial<Config>, opts: { files?: boolean } = {}): RawIssue[] {
  return RULES
    .filter((r) => (opts.files !== false || !r.files) && r.needs.every((s) => c[s] !== undefined))
    .flatMap((r) => r.run(c as Config));
}
