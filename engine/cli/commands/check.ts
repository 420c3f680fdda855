// `lbarray check`: the array as the config describes it, in tables an operator can check by eye.
import path from 'node:path';
import { adminEndpoint, type Config, type Policy } from '../../config/index.js';
import { renderTable } from '../table.js';

export function describePolicy(p: Policy): string {
  if (p.type !== 'hash') return p.type;
  if (p.by === 'header' || p.by === 'cookie') return `hash by ${p.by} ${p.name}`;
  if (p.by === 'url') return p.includeQuery ? 'hash by url' : 'hash by url path';
  return 'hash by client';
}

function ms(n: number): string {
  return n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
}

function describeMatch(m: Config['routes'][number]['match']): string {
  const parts = [
    m.host && `host ${m.host}`,
    m.pathPrefix && `path ${m.pathPrefix}*`,
    m.pathRegex && `path ~ ${m.pathRegex}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'every request';
}

export function describeConfig(c: Config, file: string): string {
  const rel = (p: string) => path.relative(path.dirname(path.resolve(file)), p);
  const out: string[] = [];
  out.push(`array     ${c.name}`);
  out.push(`VIP       ${[c.vip.ipv4, c.vip.ipv6].filter(Boolean).join(', ')}`);
  out.push(`election  VRRP vrid ${c.election.vrid}, advert every ${ms(c.election.advertInterval)}, preempt ${c.election.preempt ? 'on' : 'off'}`);
  out.push(`scheduler Maglev table ${c.scheduler.maglevTableSize}, flow table ${c.scheduler.flowTableCapacity}, ${c.scheduler.workers} worker${c.scheduler.workers === 1 ? '' : 's'}`);
  const sync = c.scheduler.flowSync;
  out.push(`flow sync ${sync.enabled ? `UDP ${sync.port}, every ${ms(sync.interval)}; a starting node waits ${ms(sync.wait)} for the table` : 'off (a new scheduler knows only what Maglev says)'}`);
  const ps = c.persistence.sync;
  out.push(`sessions  ${ps.enabled && c.nodes.length > 1 ? `persistence tables synced over UDP ${ps.port}, every ${ms(ps.interval)}` : 'persistence tables kept per node (no sync)'}`);
  out.push('');
  out.push('services');
  out.push(renderTable(['NAME', 'PORT', 'PROTOCOL', 'CERTIFICATES'], c.services.map((s) => [
    s.name, String(s.port), s.protocol,
    s.tls ? s.tls.certificates.map((k) => `${k.names.join(' ') || '(default)'} [${rel(k.cert)}]`).join('; ') : '-',
  ])));
  out.push('nodes');
  out.push(renderTable(['ID', 'INTERFACE', 'IPV4', 'IPV6', 'PRIORITY', 'WEIGHT', 'ADMIN'], c.nodes.map((n) => [
    n.id, n.interface, n.ipv4 ?? '-', n.ipv6 ?? '-', String(n.priority), n.weight === 0 ? '0 (drained)' : String(n.weight),
    adminEndpoint(c, n).url,
  ])));
  out.push('pools');
  out.push(renderTable(['NAME', 'POLICY', 'PERSISTENCE', 'TLS', 'CHECK', 'SERVERS'], Object.entries(c.pools).map(([name, p]) => [
    name, describePolicy(p.policy), p.persistence, p.tls ? 'yes' : 'no',
    `GET ${p.healthCheck.path} every ${ms(p.healthCheck.interval)}`,
    p.servers.map((s) => `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}${s.weight === 1 ? '' : ` w${s.weight}`}`).join(', '),
  ])));
  out.push('routes (first match wins)');
  out.push(renderTable(['#', 'NAME', 'MATCH', 'POOL', 'POLICY', 'CDN'], c.routes.map((r, i) => [
    String(i + 1), r.name ?? '-', describeMatch(r.match), r.pool, describePolicy(r.policy),
    r.cdn ? `${r.cdn.baseUrls.join(' ')}${r.cdn.cache.enabled ? `, cache ${Math.round(r.cdn.cache.maxBytes / 2 ** 20)} MiB` : ''}` : '-',
  ])));
  return out.join('\n');
}
