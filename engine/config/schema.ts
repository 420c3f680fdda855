// The config file's schema: one zod schema is the single source of the file format, the
// TypeScript types (z.output), the defaults, and docs/config.md (z.toJSONSchema, see docs.ts).
// Field-local rules live here; rules that relate several fields live in checks.ts.
import net from 'node:net';
import { z } from 'zod';
import { parsePrefix } from './address.js';
import { byteSize, duration } from './units.js';

/** An error message that says "required" when the field is missing, `text` otherwise. */
function say(text: string) {
  return (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : text);
}

function intIn(min: number, max: number, what = 'an integer') {
  const e = say(`expected ${what} ${min}-${max}`);
  return z.int({ error: e }).min(min, { error: e }).max(max, { error: e });
}

const port = () => intIn(1, 65535, 'a number');

const ipv4 = () => z.ipv4({ error: say('expected an IPv4 address') });
const ipv6 = () => z.ipv6({ error: say('expected an IPv6 address') });
const ipAny = () =>
  z.string({ error: say('expected an IPv4 or IPv6 address') })
    .refine((s) => net.isIP(s) !== 0, { error: 'expected an IPv4 or IPv6 address' });

const name = (what: string) =>
  z.string({ error: say(`expected a ${what} name`) })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
      error: `expected a ${what} name: letters, digits, "_", "." or "-", at most 63 characters`,
    });

const filePath = (what: string) =>
  z.string({ error: say(`expected the path of ${what}`) }).min(1, { error: `expected the path of ${what}` });

const hostName = () =>
  z.string({ error: say('expected a host name') })
    .regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/, {
      error: 'expected a host name such as "www.example.com" or "*.example.com"',
    })
    .transform((s) => s.toLowerCase().replace(/\.$/, ''));

const prefixList = (what: string) =>
  z.array(z.string({ error: say('expected an IP address or CIDR prefix') })
    .refine((v) => parsePrefix(v) !== undefined, { error: 'expected an IP address or CIDR prefix, e.g. "198.18.0.0/15" or "2001:2::/48"' }),
  { error: say(`expected a list of ${what}: IP addresses or CIDR prefixes`) });

const httpToken = (what: string) =>
  z.string({ error: say(`expected a ${what} name`) })
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: `expected a ${what} name (an HTTP token)` });

/** True for primes; trial division is plenty for table sizes of a few million. */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

function regexCompiles(src: string): boolean {
  try { new RegExp(src); return true; } catch { return false; }
}

// ---------------------------------------------------------------------------------------------

export const vipSchema = z
  .strictObject({
    ipv4: ipv4().optional().describe('The IPv4 virtual address clients connect to.'),
    ipv6: ipv6().optional().describe('The IPv6 virtual address clients connect to.'),
  }, { error: say('expected a map with ipv4 and/or ipv6') })
  .refine((v) => v.ipv4 !== undefined || v.ipv6 !== undefined, {
    error: 'the VIP needs an ipv4 or an ipv6 address (or both)',
  })
  .describe('The virtual IP address(es) of the array. The active scheduler answers ARP/NDP for them; every node holds them on its loopback.');

const certificateSchema = z.strictObject({
  names: z.array(hostName()).default([])
    .describe('SNI names this certificate serves ("*.example.com" allowed). The first certificate also serves clients that send no or an unknown SNI name.'),
  cert: filePath('a PEM certificate chain').describe('PEM certificate chain file (relative paths are relative to the config file).'),
  key: filePath('a PEM private key').describe('PEM private key file matching `cert`.'),
});

const serviceTlsSchema = z.strictObject({
  certificates: z.array(certificateSchema).min(1, { error: 'expected at least one certificate' })
    .describe('Certificates, chosen by SNI name.'),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3'], { error: say('expected TLSv1.2 or TLSv1.3') }).default('TLSv1.2')
    .describe('Lowest TLS version accepted.'),
  sessionTickets: z.boolean({ error: say('expected true or false') }).default(true)
    .describe('Session resumption with TLS tickets.'),
  ticketKeyFile: filePath('a 48-byte ticket key file').optional()
    .describe('48 random bytes (`openssl rand 48 > ticket.key`) that encrypt the session tickets, the same file on every node: a client resumes its session on whichever node the scheduler picks, and after a reload. Rotate by replacing the file and reloading. Without it each node makes its own keys when it starts: a ticket resumes only on the node that issued it, until that node reloads.'),
});

// Fields the proxy frames, forwards or sets itself (engine/l7/forward-head.ts): no rule touches them.
const PROXY_FIELDS = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length',
  'x-forwarded-for', 'x-forwarded-proto', 'forwarded', 'via']);

const fieldName = () => z.string({ error: say('expected a header field name') })
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'expected a header field name: a token of letters, digits, "-" and the symbols RFC 9110 allows, no spaces' })
  .refine((n) => !PROXY_FIELDS.has(n.toLowerCase()), {
    error: 'expected a field the proxy does not frame or set itself (not Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length, X-Forwarded-For, X-Forwarded-Proto, Forwarded or Via)',
  });

const headerRuleSchema = (side: 'request' | 'response') => z.strictObject({
  set: z.record(fieldName(), z.string({ error: say('expected a header field value') })
    .regex(/^[^\0\r\n]*$/, { error: 'expected a header field value on one line (no CR, LF or NUL)' }))
    .default({}).describe(side === 'request'
      ? 'Fields set on every request sent to a back-end (name: value), replacing any the client sent, e.g. `X-Origin-Token: s3cret`.'
      : 'Fields set on every response from a back-end (cached pages too; not the proxy\'s own error pages), replacing any the back-end sent, e.g. `Strict-Transport-Security: max-age=31536000`.'),
  remove: z.array(side === 'request'
    ? fieldName().refine((n) => n.toLowerCase() !== 'host', { error: 'expected a field other than Host (every HTTP/1.1 request carries one; set it instead)' })
    : fieldName()).default([]).describe(side === 'request'
    ? 'Fields dropped from requests before they reach a back-end.'
    : 'Fields dropped from back-end responses, e.g. `Server`, `X-Powered-By`.'),
});

export const serviceSchema = z.strictObject({
  name: name('service').describe('Name of the service (used in logs and metrics).'),
  port: port().describe('TCP port on the VIP.'),
  protocol: z.enum(['http', 'https'], { error: say('expected http or https') }).default('http')
    .describe('`http`, or `https` (TLS terminated on the LB node; needs `tls`).'),
  tls: serviceTlsSchema.optional().describe('TLS settings; required when `protocol` is `https`.'),
  redirect: z.strictObject({
    scheme: z.enum(['http', 'https'], { error: say('expected http or https') }).optional()
      .describe("Scheme of the new URL; the service's own when absent."),
    host: hostName().optional().describe("Host of the new URL; the request's Host (without its port) when absent."),
    port: port().optional().describe("Port of the new URL; the scheme's default when absent."),
    status: z.literal([301, 302, 303, 307, 308], { error: say('expected 301, 302, 303, 307 or 308') }).default(301)
      .describe('301 or 308 (permanent; 308 keeps the method and body), 302, 303 or 307 (temporary).'),
  }).optional().describe('Answer every request of this service with a redirect to the same URL with these parts replaced, '
    + 'path and query kept (e.g. `{ scheme: https }` on port 80). No request reaches a pool.'),
  headers: z.strictObject({
    request: headerRuleSchema('request').optional().describe('Rules for the requests this service sends to back-ends.'),
    response: headerRuleSchema('response').optional().describe('Rules for the back-end responses this service forwards.'),
  }).optional().describe('Header fields set or removed on the way through, as HAProxy\'s set-header/del-header or nginx\'s proxy_set_header/add_header.'),
});

export const nodeSchema = z.strictObject({
  id: z.string({ error: say('expected a node id') })
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'expected a node id: lower-case letters, digits and "-", at most 32 characters' })
    .describe('Unique id of the node; `lbarray run --node ID` picks it.'),
  interface: z.string({ error: say('expected an interface name') })
    .regex(/^[^\s/:]{1,15}$/, { error: 'expected an interface name (1-15 characters, no "/", ":" or spaces)' })
    .describe('The network interface facing clients and the other nodes (scheduler rings, VRRP, ARP/NDP).'),
  ipv4: ipv4().optional().describe("The node's own IPv4 address on `interface`."),
  ipv6: ipv6().optional().describe("The node's own IPv6 address on `interface`."),
  mac: z.string({ error: say('expected a MAC address') })
    .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, { error: 'expected a MAC address like 02:00:00:00:00:01' })
    .transform((s) => s.toLowerCase()).optional()
    .describe("The node's MAC address; learned by ARP/NDP when absent."),
  priority: intIn(1, 254).default(100).describe('VRRP priority: the highest-priority healthy node becomes the scheduler.'),
  weight: intIn(0, 1000).default(1).describe('Share of new flows the scheduler gives this node; 0 drains it.'),
  adminAddress: ipAny().optional()
    .describe("Address the admin endpoint listens on; defaults to the node's ipv4 (else ipv6). Never a VIP."),
});

export const schedulerSchema = z.strictObject({
  maglevTableSize: z.int({ error: say('expected a prime number ≥ 65537') })
    .refine((n) => n >= 65537 && isPrime(n), { error: 'expected a prime number ≥ 65537' })
    .default(65537).describe('Size of the Maglev lookup table: a prime ≥ 65537 (about 100 × the number of nodes or more).'),
  flowTableCapacity: intIn(1024, 1 << 26).default(1 << 20)
    .describe('Most flows the scheduler tracks (LRU); an established flow keeps its node while tracked.'),
  flowIdleTimeout: duration(1000).prefault('300s')
    .describe('A tracked flow with no packet for this long may give its place to a new connection when the table has no other room; until then it keeps its node.'),
  ring: z.strictObject({
    blockSize: byteSize(64 << 10, 1 << 30).prefault('1MiB').refine(isPowerOfTwo, { error: 'expected a power of two (64KiB, 128KiB, ... 1GiB)' })
      .describe('Block size of the RX ring: a power of two from 64KiB to 1GiB.'),
    blockCount: intIn(2, 65536).default(64).describe('Blocks of the RX ring (TX goes out by sendmmsg, without a ring).'),
    frameSize: byteSize(128, 65536).prefault(2048).refine(isPowerOfTwo, { error: 'expected a power of two (128, 256, ... 65536)' })
      .describe('Largest frame a ring slot holds: a power of two from 128 to 65536.'),
    rxMode: z.enum(['blocks', 'frames']).default('blocks')
      .describe('blocks: TPACKET_V3, one wakeup per block, least CPU per frame, but at low rates a frame waits up to 1 ms for its block to retire. '
        + 'frames: TPACKET_V2, each frame handed over at once (the latency mode); a frame longer than frameSize is dropped, so use 65536 where clients send GSO super-frames.'),
    busyPollUs: intIn(0, 1_000_000).default(0)
      .describe('Microseconds a forwarding thread watches its ring for frames before it sleeps (0: sleeps at once). '
        + 'With rxMode frames, this takes the thread\'s wakeup out of each frame\'s latency, and keeps a core busy for each forwarding thread while traffic flows.'),
  }).prefault({}).describe('AF_PACKET ring sizes, per worker.'),
  workers: intIn(1, 64).default(1).describe('Forwarding threads (one ring each, in a PACKET_FANOUT hash group).'),
  flowSync: z.strictObject({
    enabled: z.boolean().default(true).describe('The scheduler sends each established flow (and its node) to the other nodes.'),
    port: port().default(9181).describe("UDP port of flow sync (bound on every address of the node; datagrams are taken only from the nodes' addresses)."),
    interval: duration(1, 10_000).prefault('20ms').describe('How often the scheduler sends the flows established since the last time.'),
    wait: duration(0, 600_000).prefault('2s').describe('How long a starting node waits for the scheduler\'s flows before it may preempt.'),
  }).prefault({}).describe('Flow sync: whichever node becomes the scheduler knows where every established flow is.'),
}).prefault({}).describe('The L4 scheduler (used on the node that is elected).');

export const proxySchema = z.strictObject({
  workers: z.union([z.literal('auto'), intIn(1, 256)], { error: say('expected "auto" or a number 1-256') })
    .default('auto').describe('Proxy worker threads; `auto` means one per CPU core.'),
  keepAliveTimeout: duration().prefault('60s').describe('Idle client keep-alive connections are closed after this.'),
  headersTimeout: duration(100).prefault('10s').describe('A request whose headers are not complete in this time gets 408.'),
  requestTimeout: duration(100).prefault('30s').describe('A request whose body is not complete in this time gets 408.'),
  maxHeaderBytes: byteSize(1024, 1 << 20).prefault('16KiB').describe('Request headers larger than this get 431.'),
  maxBodyBytes: byteSize(0, 2 ** 50).optional()
    .describe('Request bodies larger than this get 413 and a closed connection (nginx\'s client_max_body_size): a Content-Length over it before any back-end is chosen, a chunked body when a chunk takes it over (the back-end request is then aborted). Default: no limit.'),
  connectTimeout: duration(10).prefault('3s').describe('Back-end connect timeout (then 502 or another server).'),
  responseTimeout: duration(100).prefault('30s').describe('Back-end response timeout (then 504).'),
  upstreamKeepAlive: intIn(0, 10000).default(64).describe('Idle kept-alive connections kept per back-end server and worker.'),
  maxConnections: intIn(1, 100_000_000).optional()
    .describe('Most open client connections of each listener of the node (a service on one VIP family), shared out among the workers; a connection beyond it is closed as soon as it is accepted, and counted (lbarray_client_connections_dropped_total{reason="limit"}). Default: no limit.'),
  maxConnectionsPerClient: intIn(1, 1_000_000).optional()
    .describe('Most open connections of one client address on the node, over every worker and service (nginx\'s limit_conn); one beyond it is reset as soon as it is accepted, before any TLS work, and counted (lbarray_client_connections_dropped_total{reason="client_limit"}). Addresses share 65536 hash groups, so in rare cases two share a count. Default: no limit.'),
  via: z.boolean({ error: say('expected true or false') }).default(false).describe('Add a `Via` header.'),
  compression: z.strictObject({
    types: z.array(z.string({ error: say('expected a media type') }).regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/, { error: 'expected a media type in lower case, like "text/html"' }))
      .min(1, { error: 'expected at least one media type' })
      .default(['text/html', 'text/css', 'text/plain', 'text/xml', 'text/javascript', 'application/javascript', 'application/json', 'application/xml', 'image/svg+xml'])
      .describe('Media types compressed (the Content-Type without its parameters).'),
    minBytes: byteSize(0, 1 << 30).prefault('1KiB').describe('Responses whose Content-Length is below this pass as they are (a chunked one is compressed whatever its size).'),
  }).optional().describe('Compress back-end responses that a client accepts compressed (gzip or brotli, by its Accept-Encoding) and that are not already: 200s to HTTP/1.1 requests other than HEAD, of these types, without Cache-Control: no-transform; sent chunked, with Vary: Accept-Encoding and a weak ETag, as nginx\'s gzip. The encoder runs on libuv\'s thread pool. Default: off.'),
  requestId: z.strictObject({
    header: fieldName().default('X-Request-Id').describe('The field that carries the ID to the back-end and back to the client.'),
    keepClient: z.boolean({ error: say('expected true or false') }).default(false)
      .describe('Keep the ID a client (or a proxy in front of the array) sent, when well formed (visible ASCII, no spaces, commas or quotes, at most 128 chars); otherwise every request gets a new one.'),
  }).optional().describe('Give every request an ID (32 hex digits, as nginx\'s $request_id): the back-end gets it in a header, the client gets it back on the response, and the access log records it as `id`. Default: off.'),
  rateLimit: z.strictObject({
    requests: intIn(1, 1_000_000_000).describe('Requests a client address may make per `interval`; more are answered 429 with Retry-After, and counted.'),
    interval: duration(100, 3_600_000).prefault('1s').describe('The window of the rate (a sliding window).'),
    groups: intIn(1, 1 << 24).default(65536).describe('Hash groups the counts live in (12 bytes each, shared by the workers): addresses in one group share a count.'),
  }).optional().describe('Per-client request rate limit of the node (every worker and service counts together). Default: none.'),
  allow: prefixList('client addresses served').default([])
    .describe('When not empty, only clients in these addresses or prefixes are served; the others are reset when accepted (before TLS), and counted (lbarray_client_connections_dropped_total{reason="denied"}).'),
  deny: prefixList('client addresses refused').default([])
    .describe('Clients in these addresses or prefixes are reset when accepted, even if `allow` lists them; counted like `allow`\'s.'),
}).prefault({}).describe('The L7 proxy on every node.');

// The back-end check's fields; `healthChecks.backend` gives them defaults, a pool's override
// has none (only what the pool names replaces the global check).
const checkFields = {
  path: z.string({ error: say('expected a path') }).startsWith('/', { error: 'expected a path starting with "/"' })
    .describe('Path of the HTTP GET check.'),
  status: z.union([intIn(100, 599, 'a status'), z.array(intIn(100, 599, 'a status')).min(1)], { error: say('expected a status code or a list of them') })
    .transform((s) => (Array.isArray(s) ? s : [s])).describe('Expected status code(s).'),
  interval: duration(10).describe('Time between checks.'),
  timeout: duration(10).describe('A check not answered in this time fails.'),
  rise: intIn(1, 100).describe('Consecutive passes that bring a down server up.'),
  fall: intIn(1, 100).describe('Consecutive failures that take an up server down.'),
};
const backendCheckSchema = z.strictObject({
  path: checkFields.path.prefault('/'),
  status: checkFields.status.prefault(200),
  interval: checkFields.interval.prefault('2s'),
  timeout: checkFields.timeout.prefault('1s'),
  rise: checkFields.rise.prefault(2),
  fall: checkFields.fall.prefault(3),
});
const backendCheckOverride = z.strictObject(checkFields).partial();

// A node probe is a TCP handshake on the wire (engine/cluster/tcp-probe.ts), not an HTTP request:
// it proves the node holds the VIP and its proxy listens, which is what the scheduler needs.
const nodeCheckSchema = z.strictObject({
  port: port().optional().describe('Service port probed (a TCP SYN to the VIP through the node\'s MAC; a SYN-ACK passes); defaults to the first http service.'),
  interval: duration(10).prefault('100ms').describe('Time between probes of each node.'),
  timeout: duration(10).prefault('80ms').describe('A probe not answered in this time fails.'),
  rise: intIn(1, 100).default(3).describe('Consecutive passes that bring a node back into the Maglev table.'),
  fall: intIn(1, 100).default(3).describe('Consecutive failures that take a node out of the Maglev table.'),
});

export const healthChecksSchema = z.strictObject({
  backend: backendCheckSchema.prefault({}).describe('Default active check of back-end servers (a pool may override fields).'),
  nodes: nodeCheckSchema.prefault({}).describe('Checks of LB nodes by each other, addressed to the VIP.'),
}).prefault({}).describe('Health checks.');

const hashSchema = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('url'), includeQuery: z.boolean().default(true) }),
  z.strictObject({ by: z.literal('header'), name: httpToken('header') }),
  z.strictObject({ by: z.literal('cookie'), name: httpToken('cookie') }),
  z.strictObject({ by: z.literal('client') }),
], { error: say('expected by: url, header (with name), cookie (with name) or client') });

/** How a server is picked within a pool, normalized: `{ type: 'roundrobin' }`, `{ type: 'hash', by: 'header', name }`, ... */
export type Policy =
  | { type: 'roundrobin' | 'weighted' | 'leastconn' }
  | { type: 'hash'; by: 'url'; includeQuery: boolean }
  | { type: 'hash'; by: 'client' }
  | { type: 'hash'; by: 'header' | 'cookie'; name: string };

export const policySchema = z
  .union([
    z.enum(['roundrobin', 'weighted', 'leastconn']),
    z.strictObject({ hash: hashSchema }),
  ], { error: say('expected roundrobin, weighted, leastconn or { hash: { by: url|header|cookie|client } }') })
  .transform((p): Policy => (typeof p === 'string' ? { type: p } : { type: 'hash', ...p.hash } as Policy))
  .describe('`roundrobin`, `weighted` (weighted round robin), `leastconn`, or `{ hash: { by: url | header | cookie | client, name } }` (consistent hashing; `name` for header and cookie).');

const serverSchema = z.strictObject({
  address: ipAny().describe('Back-end IPv4 or IPv6 address.'),
  port: port().describe('Back-end port.'),
  weight: intIn(0, 1000).default(1).describe('Relative weight (weighted policies); 0 drains the server: no new clients, persistent ones stay (as `lbarray server POOL ADDRESS:PORT drain` does at run time).'),
  maxConnections: intIn(1, 1_000_000).optional()
    .describe('Most connections from this node to the server, in use and idle (shared out among the proxy workers); requests beyond it wait for one (then 504 after proxy.responseTimeout). Default 256 per worker.'),
  backup: z.boolean({ error: say('expected true or false') }).default(false)
    .describe('A backup server gets requests only while no other server of the pool is up (with weight above 0); then the first backup that is up takes them all.'),
});

const upstreamTlsSchema = z.strictObject({
  verify: z.boolean({ error: say('expected true or false') }).default(true).describe("Verify the back-end's certificate."),
  ca: filePath('a PEM CA bundle').optional().describe('CA bundle used to verify back-ends (default: the system CAs).'),
  servername: hostName().optional().describe('SNI name sent to back-ends.'),
});

export const poolSchema = z.strictObject({
  servers: z.array(serverSchema).min(1, { error: 'expected at least one server' }).describe('Back-end servers.'),
  policy: policySchema.prefault('roundrobin'),
  persistence: z.enum(['none', 'cookie', 'session-id', 'client-address'], { error: say('expected none, cookie, session-id or client-address') })
    .default('none').describe('Keep a client on its server: `cookie` (injected LB cookie), `session-id` (the back-end\'s own session id) or `client-address` (the server first chosen for the client\'s address, remembered in the hash-group table: unlike a `hash` policy, it holds when servers come and go), see `persistence`.'),
  tls: z.union([z.literal(false), upstreamTlsSchema], { error: say('expected false or TLS settings') }).default(false)
    .describe('Re-encrypt traffic to the back-ends (`false`: clear text).'),
  healthCheck: backendCheckOverride.optional().describe('Overrides of `healthChecks.backend` for this pool.'),
  slowStart: duration().prefault(0).describe('A server that comes back up ramps its weight up over this time, in 20 steps (0: at once). Weighted round robin and least connections only: a hash policy would move keys twice, and plain round robin ignores weights.'),
});

const cdnMatchSchema = z.strictObject({
  prefixes: z.array(z.string().startsWith('/', { error: 'expected a path prefix starting with "/"' })).default([])
    .describe('URL path prefixes.'),
  extensions: z.array(z.string().regex(/^\.[A-Za-z0-9]+$/, { error: 'expected a file extension like ".png"' })).default([])
    .transform((a) => a.map((e) => e.toLowerCase())).describe('File extensions, with the dot.'),
  hosts: z.array(hostName()).default([])
    .describe('Hosts ("img.example.com", "*.example.com"); a relative URL is of the page host. In `include`: absolute URLs of these hosts are rewritten too; in `exclude`: URLs of these hosts, the page host included, never are.'),
});

export const cdnSchema = z.strictObject({
  baseUrls: z.array(z.url({ protocol: /^https?$/, error: say('expected an http(s) URL') }))
    .min(1, { error: 'expected at least one CDN base URL' })
    .describe('CDN base URLs; several shard URLs by a stable hash of the path.'),
  include: cdnMatchSchema.prefault({}).describe('URLs to rewrite: any prefix, extension or host listed matches.'),
  exclude: cdnMatchSchema.prefault({}).describe('URLs never rewritten, even when included.'),
  rewriteAnchors: z.boolean().default(false).describe('Also rewrite `<a href>` (by default only resources: src, link href, srcset, poster, data-src, url()).'),
  cache: z.strictObject({
    enabled: z.boolean().default(true).describe('Cache rewritten pages.'),
    maxBytes: byteSize(0, 2 ** 36).prefault('64MiB').describe('Size bound of the page cache (LRU).'),
  }).prefault({}).describe('Cache of rewritten pages.'),
}).refine((c) => c.include.prefixes.length + c.include.extensions.length + c.include.hosts.length > 0, {
  error: 'cdn.include names nothing to rewrite: list prefixes, extensions or hosts',
});

export const routeSchema = z.strictObject({
  name: name('route').optional().describe('Name of the route (logs, metrics).'),
  match: z.strictObject({
    host: hostName().optional().describe('Host header (exact, or "*.example.com").'),
    pathPrefix: z.string().startsWith('/', { error: 'expected a path prefix starting with "/"' }).optional()
      .describe('URL path prefix.'),
    pathRegex: z.string().refine(regexCompiles, { error: 'expected a valid regular expression' }).optional()
      .describe('Regular expression tested against the path and query.'),
  }).prefault({}).describe('All given conditions must hold; no condition matches every request.'),
  pool: name('pool').describe('Pool that serves the matched requests.'),
  policy: policySchema.optional().describe("Overrides the pool's policy for this route."),
  cdn: cdnSchema.optional().describe('CDN rewriting of HTML responses of this route.'),
});

export const persistenceSchema = z.strictObject({
  cookie: z.strictObject({
    name: httpToken('cookie').default('LBSERVER').describe('Name of the injected cookie.'),
    maxAge: duration().optional().describe('Cookie lifetime; a session cookie when absent.'),
    secure: z.boolean().default(false).describe('Send the cookie with the Secure flag.'),
    secret: z.string({ error: say('expected a secret string') }).min(16, { error: 'expected a secret of at least 16 characters' }).optional()
      .describe('Key of the cookie values (an HMAC of the server): the same on every node, so any node honours a cookie another set, across reloads too. Without it the key comes from the array\'s `name`: values stay stable but can be computed by anyone who knows the config.'),
  }).prefault({}).describe('Cookie injection (pools with `persistence: cookie`).'),
  sessionIds: z.strictObject({
    names: z.array(httpToken('session id')).min(1).default(['JSESSIONID', 'PHPSESSID', 'ASP.NET_SessionId'])
      .describe('Session-ID cookie names learned from back-end responses.'),
    inUrl: z.boolean().default(true).describe('Also look for `;jsessionid=` style path parameters.'),
  }).prefault({}).describe('Persistence by the back-end\'s own session id (pools with `persistence: session-id`).'),
  hashGroups: intIn(16, 1 << 20).refine(isPowerOfTwo, { error: 'expected a power of two' })
    .default(4096).describe('Hash groups of the shared persistence table (a power of two).'),
  sync: z.strictObject({
    enabled: z.boolean({ error: say('expected true or false') }).default(true)
      .describe('Each node sends the hash-group cells its workers learn (session IDs, client addresses) to the other nodes, so a client keeps its server whichever node takes its next connection. Used only when the array has several nodes; `false` keeps each node\'s table to itself.'),
    port: port().default(9182).describe("UDP port of persistence sync (bound on every address of the node; datagrams are taken only from the nodes' addresses)."),
    interval: duration(10, 10_000).prefault('100ms').describe('How often a node sends the cells learnt since the last time: a session learnt on one node is known to the others this much later.'),
  }).prefault({}).describe('Persistence sync: the hash-group tables of every node kept alike.'),
}).prefault({}).describe('Session persistence.');

export const electionSchema = z.strictObject({
  vrid: intIn(1, 255).default(51).describe('VRRP virtual router id (the same on every node).'),
  advertInterval: duration(10, 40950).prefault('100ms')
    .refine((n) => n % 10 === 0, { error: 'expected a multiple of 10ms (VRRPv3 counts centiseconds)' })
    .describe('VRRP advertisement interval; master-down interval is 3 × this plus skew.'),
  preempt: z.boolean().default(true).describe('A higher-priority node takes the scheduler role back when it returns.'),
  nice: intIn(-20, 19).default(0)
    .describe("Scheduling niceness of the daemon's main thread, where the VRRP timers run (keepalived's vrrp_priority): below 0, its adverts go out on time on a starved machine. 0 (the default) leaves the niceness the daemon was started with: at -10 the scheduler lost frames in a lab test (test/array/malformed: 12 and 81 of 4960 uncounted in 2 of 4 runs, none in 4 runs at 0; none in 5 later runs at -10: the cause is not understood). Set once the parts have started, so the worker threads keep theirs (and those started later reset theirs); without the privilege to raise it, the daemon says so and keeps its own."),
}).prefault({}).describe('Scheduler election (VRRPv3). Priorities are per node (`nodes[].priority`).');

export const adminSchema = z.strictObject({
  port: port().default(9180).describe("Port of the admin endpoint on each node's own address."),
  token: z.string().min(8, { error: 'expected a token of at least 8 characters' }).optional()
    .describe('Bearer token required for the actions (purge, drain, reload, server).'),
  tokenFile: filePath('a file holding the token').optional().describe('File holding the token (instead of `token`).'),
}).prefault({}).describe('Admin HTTP endpoint (status, metrics, actions).');

export const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: say('expected fatal, error, warn, info, debug, trace or silent'),
  }).default('info').describe('Log level (`--log-level` overrides).'),
  format: z.enum(['auto', 'json', 'pretty'], { error: say('expected auto, json or pretty') }).default('auto')
    .describe('`auto`: pretty on a terminal, JSON otherwise.'),
  accessLog: z.string({ error: say('expected a file path or "-"') }).min(1).optional()
    .describe('Access log: one JSON line per request (time, worker, client, method, host, target, status, pool, server, ms), appended to this file (relative to the config file) or written to standard output with "-". Off when absent.'),
}).prefault({}).describe('Logging.');

export const configShape = z.strictObject({
  version: z.literal(1, { error: say('expected 1') }).default(1).describe('Format version of this file.'),
  name: name('array').default('lbarray').describe('Name of the array (logs, metrics).'),
  vip: vipSchema,
  services: z.array(serviceSchema).min(1, { error: 'expected at least one service' }).describe('Ports served on the VIP.'),
  nodes: z.array(nodeSchema).min(1, { error: 'expected at least one node' }).describe('The LB nodes, in a fixed order (the Maglev table depends on it).'),
  scheduler: schedulerSchema,
  proxy: proxySchema,
  pools: z.record(name('pool'), poolSchema, { error: say('expected a map of pool name to pool') })
    .describe('Back-end pools by name.'),
  routes: z.array(routeSchema).min(1, { error: 'expected at least one route' })
    .describe('Routing rules, tried in order; the first that matches picks the pool.'),
  persistence: persistenceSchema,
  healthChecks: healthChecksSchema,
  election: electionSchema,
  admin: adminSchema,
  logging: loggingSchema,
}, { error: say('expected a map (the config file is empty or not a map)') })
  .describe('The whole array: one file, the same on every node.');

type Shape = z.output<typeof configShape>;

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Fills in what depends on other fields: a route's policy (its pool's when absent) and each
 *  pool's complete health check (the pool's overrides on `healthChecks.backend`). */
function resolve(c: Shape) {
  const pools = Object.fromEntries(Object.entries(c.pools).map(([k, p]) => [k, {
    ...p, healthCheck: { ...c.healthChecks.backend, ...definedOnly(p.healthCheck ?? {}) } as Shape['healthChecks']['backend'],
  }]));
  const routes = c.routes.map((r) => ({ ...r, policy: r.policy ?? c.pools[r.pool]?.policy ?? { type: 'roundrobin' } as Policy }));
  return { ...c, pools, routes };
}

export const configSchema = configShape.transform(resolve);

/** The parsed, defaulted config (every default filled in, durations in ms, sizes in bytes). */
export type Config = z.output<typeof configSchema>;
/** What the file may contain (defaults optional, units as strings). */
export type ConfigInput = z.input<typeof configSchema>;
export type NodeConfig = Config['nodes'][number];
export type ServiceConfig = Config['services'][number];
export type PoolConfig = Config['pools'][string];
export type ServerConfig = PoolConfig['servers'][number];
export type RouteConfig = Config['routes'][number];
export type CdnConfig = NonNullable<RouteConfig['cdn']>;
export type BackendCheckConfig = Config['healthChecks']['backend'];
