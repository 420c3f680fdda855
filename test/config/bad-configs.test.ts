// Bad configs as data. Each case is a config file; every line that must be reported carries a
// marker comment `#! path: message`. The loader must report exactly those issues: the same paths,
// on the marked lines, with those messages, all of them (not just the first).
import t from 'tap';
import { validateConfig } from '../../engine/config/index.js';

const SECTIONS = {
  vip: 'vip:\n  ipv4: 198.19.0.1\n',
  services: 'services:\n  - name: web\n    port: 80\n',
  nodes: 'nodes:\n  - id: lb1\n    interface: eth0\n    ipv4: 198.18.0.11\n',
  pools: 'pools:\n  app:\n    servers:\n      - address: 198.18.0.101\n        port: 8080\n',
  routes: 'routes:\n  - pool: app\n',
  extra: '',
};
type Section = keyof typeof SECTIONS;

/** A whole config file: the defaults above, with some sections replaced. */
function file(over: Partial<Record<Section, string>>): string {
  return (Object.keys(SECTIONS) as Section[]).map((k) => over[k] ?? SECTIONS[k]).join('');
}

interface Expected { path: string; line: number; message: string }

function markers(text: string): Expected[] {
  return text.split('\n').flatMap((l, i) => {
    const m = /#!\s*(.+?):\s(.+)$/.exec(l);
    return m ? [{ path: m[1] === 'file' ? '' : m[1], line: i + 1, message: m[2].trim() }] : [];
  });
}

const cases: Array<{ name: string; text: string }> = [
  {
    name: 'a port out of range names the server and its line',
    text: file({ pools: `pools:
  app:
    servers:
      - address: 198.18.0.101
        port: 8080
      - address: 198.18.0.102
        port: 70000   #! pools.app.servers[1].port: expected a number 1-65535
` }),
  },
  {
    name: 'a misspelt field is unknown, not ignored',
    text: file({ services: 'services:\n  - name: web\n    port: 80\n    protcol: https   #! services[0].protcol: unknown field "protcol"\n' }),
  },
  {
    name: 'a missing required field points at its parent',
    text: file({ nodes: 'nodes:\n  - id: lb1   #! nodes[0].interface: required\n    ipv4: 198.18.0.11\n' }),
  },
  {
    name: 'an address of the wrong family',
    text: file({ vip: 'vip:\n  ipv4: 2001:2::1   #! vip.ipv4: expected an IPv4 address\n  ipv6: 198.19.0.1   #! vip.ipv6: expected an IPv6 address\n' }),
  },
  {
    name: 'a VIP with no address at all',
    text: file({ vip: 'vip: {}   #! vip: the VIP needs an ipv4 or an ipv6 address (or both)\n' }),
  },
  {
    name: 'Maglev table sizes must be primes of at least 65537',
    text: file({ extra: 'scheduler:\n  maglevTableSize: 65536   #! scheduler.maglevTableSize: expected a prime number ≥ 65537\n' }),
  },
  {
    name: 'a small prime is still too small',
    text: file({ extra: 'scheduler:\n  maglevTableSize: 65521   #! scheduler.maglevTableSize: expected a prime number ≥ 65537\n' }),
  },
  {
    name: 'ring sizes follow the kernel rules',
    text: file({ extra: 'scheduler:\n  ring:\n    blockSize: 6000   #! scheduler.ring.blockSize: expected a value between 65536 bytes and 1073741824 bytes\n    frameSize: 2050   #! scheduler.ring.frameSize: expected a power of two (128, 256, ... 65536)\n    rxMode: frame   #! scheduler.ring.rxMode: expected "blocks" or "frames", got "frame"\n' }),
  },
  {
    // The ring (engine/ring/port.ts) opens only powers of two, blocks of 64KiB or more: these
    // once passed lbarray check, then every node's forwarding rings refused them.
    name: 'ring sizes are ones the ring opens',
    text: file({ extra: 'scheduler:\n  ring:\n    blockSize: 192KiB   #! scheduler.ring.blockSize: expected a power of two (64KiB, 128KiB, ... 1GiB)\n    frameSize: 2064   #! scheduler.ring.frameSize: expected a power of two (128, 256, ... 65536)\n' }),
  },
  {
    name: 'a ring block under 64KiB',
    text: file({ extra: 'scheduler:\n  ring:\n    blockSize: 8KiB   #! scheduler.ring.blockSize: expected a value between 65536 bytes and 1073741824 bytes\n' }),
  },
  {
    // The election, node probes and flow sync need one family: lb2 could only speak IPv6, the VIP has none.
    name: 'nodes that share no address family with the VIP',
    text: file({ nodes: `nodes:   #! nodes: the nodes need one address family with the VIP (for the election, node probes and flow sync): give every node an ipv4 address, or every node an ipv6 address and the VIP one
  - id: lb1
    interface: eth0
    ipv4: 198.18.0.11
  - id: lb2
    interface: eth0
    ipv6: 2001:2::12
` }),
  },
  {
    name: 'a route to a pool that does not exist',
    text: file({ routes: 'routes:\n  - pool: ap   #! routes[0].pool: unknown pool "ap" (pools: app)\n' }),
  },
  {
    name: 'node ids and addresses are unique',
    text: file({ nodes: `nodes:
  - id: lb1
    interface: eth0
    ipv4: 198.18.0.11
  - id: lb1   #! nodes[1].id: duplicate node id lb1 (also at index 0)
    interface: eth0
    ipv4: 198.18.0.11   #! nodes[1].ipv4: duplicate node address 198.18.0.11 (also at index 0)
` }),
  },
  {
    name: 'flow sync and persistence sync may not share a UDP port',
    text: file({ extra: `scheduler:
  flowSync: { port: 9200 }
persistence:
  sync:
    port: 9200   #! persistence.sync.port: UDP port 9200 is scheduler.flowSync.port too: each sync needs its own
` }),
  },
  {
    name: 'a node without an address',
    text: file({ nodes: 'nodes:\n  - id: lb1   #! nodes[0]: a node needs an ipv4 or an ipv6 address\n    interface: eth0\n' }),
  },
  {
    name: 'a node may not use the VIP as its own address',
    text: file({ nodes: 'nodes:\n  - id: lb1\n    interface: eth0\n    ipv4: 198.19.0.1   #! nodes[0].ipv4: 198.19.0.1 is a VIP: a node needs its own address\n' }),
  },
  {
    name: 'the admin endpoint never listens on the VIP or on every address',
    text: file({ nodes: `nodes:
  - id: lb1
    interface: eth0
    ipv4: 198.18.0.11
    adminAddress: 198.19.0.1   #! nodes[0].adminAddress: 198.19.0.1 is a VIP: a node needs its own address
  - id: lb2
    interface: eth0
    ipv4: 198.18.0.12
    adminAddress: 0.0.0.0   #! nodes[1].adminAddress: the admin endpoint must listen on one address, not all (that would include the VIP)
` }),
  },
  {
    name: 'https needs certificates; http takes none',
    text: file({ services: `services:
  - name: web
    port: 80
    tls:   #! services[0].tls: tls is set on an http service: use protocol https
      certificates: [{ cert: a.pem, key: a.key }]
  - name: secure   #! services[1].tls: an https service needs tls certificates
    port: 443
    protocol: https
` }),
  },
  {
    name: 'a redirect leads elsewhere',
    text: file({ services: `services:
  - name: web
    port: 80
    redirect: { scheme: http }   #! services[0].redirect: the redirect leads back to this service: give another scheme, host or port
  - name: alt
    port: 8080
    redirect: { port: 8080 }   #! services[1].redirect: the redirect leads back to this service: give another scheme, host or port
  - name: ok
    port: 8081
    redirect: { scheme: https }
  - name: moved
    port: 8082
    redirect: { host: www.example.com }
` }),
  },
  {
    name: 'header rules name real fields, leave alone the ones the proxy frames, and keep values on one line',
    text: file({ services: `services:
  - name: web
    port: 80
    headers:
      request:
        set:
          X-Origin-Token: s3cret
          Content-Length: "0"   #! services[0].headers.request.set.Content-Length: invalid name: expected a field the proxy does not frame or set itself (not Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length, X-Forwarded-For, X-Forwarded-Proto, Forwarded or Via)
        remove: [Host]   #! services[0].headers.request.remove[0]: expected a field other than Host (every HTTP/1.1 request carries one; set it instead)
      response:
        set:
          "Bad Name": x   #! services[0].headers.response.set["Bad Name"]: invalid name: expected a header field name: a token of letters, digits, "-" and the symbols RFC 9110 allows, no spaces
          X-Split: "a\\r\\nInjected: 1"   #! services[0].headers.response.set.X-Split: expected a header field value on one line (no CR, LF or NUL)
        remove: [Server, Via]   #! services[0].headers.response.remove[1]: expected a field the proxy does not frame or set itself (not Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length, X-Forwarded-For, X-Forwarded-Proto, Forwarded or Via)
` }),
  },
  {
    name: 'compression names media types',
    text: file({ extra: 'proxy:\n  compression:\n    types: [text/html, HTML]   #! proxy.compression.types[1]: expected a media type in lower case, like "text/html"\n    minBytes: tiny   #! proxy.compression.minBytes: expected a size like "64MiB" or a number of bytes\n' }),
  },
  {
    name: 'a request ID travels in a field of its own',
    text: file({ extra: 'proxy:\n  requestId: { header: X-Forwarded-For }   #! proxy.requestId.header: expected a field the proxy does not frame or set itself (not Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length, X-Forwarded-For, X-Forwarded-Proto, Forwarded or Via)\n' }),
  },
  {
    name: 'a redirect has a redirect status',
    text: file({ services: 'services:\n  - name: web\n    port: 80\n    redirect: { scheme: https, status: 200 }   #! services[0].redirect.status: expected 301, 302, 303, 307 or 308\n' }),
  },
  {
    name: 'service names and ports are unique',
    text: file({ services: 'services:\n  - name: web\n    port: 80\n  - name: web   #! services[1].name: duplicate service name web (also at index 0)\n    port: 80   #! services[1].port: duplicate service port 80 (also at index 0)\n' }),
  },
  {
    name: 'route rules: a broken regex, a relative prefix',
    text: file({ routes: 'routes:\n  - pool: app\n    match:\n      pathRegex: "([a-z"   #! routes[0].match.pathRegex: expected a valid regular expression\n      pathPrefix: static   #! routes[0].match.pathPrefix: expected a path prefix starting with "/"\n' }),
  },
  {
    name: 'a route without conditions before others hides them',
    text: file({ routes: 'routes:\n  - pool: app\n  - pool: app   #! routes[1]: never matches: routes[0] has no match condition and takes every request\n    match: { pathPrefix: /x/ }\n' }),
  },
  {
    name: 'policies: unknown name, hash without a header name, unknown hash key',
    text: file({ pools: `pools:
  app:
    policy: random   #! pools.app.policy: expected roundrobin, weighted, leastconn or { hash: { by: url|header|cookie|client } }
    servers:
      - address: 198.18.0.101
        port: 8080
  b:
    policy: { hash: { by: header } }   #! pools.b.policy.hash.name: required
    servers:
      - address: 198.18.0.101
        port: 8080
  c:
    policy:
      hash:
        by: url
        name: x   #! pools.c.policy.hash.name: unknown field "name"
    servers:
      - address: 198.18.0.101
        port: 8080
` }),
  },
  {
    name: 'durations and sizes in words an operator writes',
    text: file({ extra: `healthChecks:
  backend:
    interval: fast   #! healthChecks.backend.interval: expected a duration like "250ms" or "2s"
    timeout: -1s   #! healthChecks.backend.timeout: expected a duration like "250ms" or "2s"
proxy:
  maxHeaderBytes: 12 bananas   #! proxy.maxHeaderBytes: expected a size like "64MiB" or a number of bytes
  maxBodyBytes: 1 truckload   #! proxy.maxBodyBytes: expected a size like "64MiB" or a number of bytes
  headersTimeout: 50ms   #! proxy.headersTimeout: expected a value between 100ms and 86400000ms
  rateLimit:
    requests: 0   #! proxy.rateLimit.requests: expected an integer 1-1000000000
    interval: 10ms   #! proxy.rateLimit.interval: expected a value between 100ms and 3600000ms
  maxConnectionsPerClient: 0   #! proxy.maxConnectionsPerClient: expected an integer 1-1000000
  deny:
    - 198.18.0.0/15
    - 198.18.0.0/40   #! proxy.deny[1]: expected an IP address or CIDR prefix, e.g. "198.18.0.0/15" or "2001:2::/48"
  allow: 198.18.0.0/15   #! proxy.allow: expected a list of client addresses served: IP addresses or CIDR prefixes
` }),
  },
  {
    name: 'VRRPv3 counts the advert interval in centiseconds',
    text: file({ extra: 'election:\n  advertInterval: 15ms   #! election.advertInterval: expected a multiple of 10ms (VRRPv3 counts centiseconds)\n  vrid: 0   #! election.vrid: expected an integer 1-255\n' }),
  },
  {
    name: 'hash groups are a power of two; a cookie secret is long enough',
    text: file({ extra: 'persistence:\n  hashGroups: 1000   #! persistence.hashGroups: expected a power of two\n  cookie:\n    secret: short   #! persistence.cookie.secret: expected a secret of at least 16 characters\n' }),
  },
  {
    name: 'CDN: base URLs are http(s), and something must be included',
    text: file({ routes: `routes:
  - pool: app
    cdn:   #! routes[0].cdn: cdn.include names nothing to rewrite: list prefixes, extensions or hosts
      baseUrls:
        - ftp://cdn.example.com   #! routes[0].cdn.baseUrls[0]: expected an http(s) URL
` }),
  },
  {
    name: 'CDN extensions start with a dot',
    text: file({ routes: 'routes:\n  - pool: app\n    cdn:\n      baseUrls: [http://cdn.example.com]\n      include:\n        extensions: [png]   #! routes[0].cdn.include.extensions[0]: expected a file extension like ".png"\n' }),
  },
  {
    name: 'weights: some node and some server must take traffic',
    text: file({
      nodes: 'nodes:   #! nodes: every node has weight 0: no node would take new flows\n  - id: lb1\n    interface: eth0\n    ipv4: 198.18.0.11\n    weight: 0\n',
      pools: 'pools:\n  app:\n    servers:   #! pools.app.servers: every server has weight 0: the pool could serve nothing\n      - address: 198.18.0.101\n        port: 8080\n        weight: 0\n',
    }),
  },
  {
    name: 'a check timeout longer than its interval',
    text: file({ extra: 'healthChecks:\n  backend:\n    interval: 1s\n    timeout: 2s   #! healthChecks.backend.timeout: the check timeout is longer than its interval\n' }),
  },
  {
    name: 'a back-end listed twice in a pool, and a back-end on the VIP',
    text: file({ pools: `pools:
  app:
    servers:
      - address: 198.18.0.101
        port: 8080
      - address: 198.18.0.101   #! pools.app.servers[1]: duplicate server 198.18.0.101 port 8080 (also at index 0)
        port: 8080
      - address: 198.19.0.1   #! pools.app.servers[2].address: 198.19.0.1 is a VIP, not a back-end
        port: 8080
` }),
  },
  {
    name: 'types: a string for a number, a list for a map',
    text: file({ extra: 'admin:\n  port: "nine"   #! admin.port: expected a number 1-65535\nlogging: [info]   #! logging: expected a map, got a list\n' }),
  },
  {
    name: 'an unknown top-level section and a bad pool name',
    text: file({
      pools: 'pools:\n  app:\n    servers:\n      - address: 198.18.0.101\n        port: 8080\n  "bad pool":   #! pools["bad pool"]: invalid name: expected a pool name: letters, digits, "_", "." or "-", at most 63 characters\n    servers:\n      - address: 198.18.0.102\n        port: 8080\n',
      extra: 'schedular: {}   #! schedular: unknown field "schedular"\n',
    }),
  },
  {
    name: 'schema errors and cross-field errors of valid sections are listed together',
    text: file({
      vip: 'vip:\n  ipv4: 198.19.0.300   #! vip.ipv4: expected an IPv4 address\n',
      nodes: 'nodes:\n  - id: lb1\n    interface: eth0\n    ipv4: 198.18.0.11\n  - id: lb1   #! nodes[1].id: duplicate node id lb1 (also at index 0)\n    interface: eth0\n    ipv4: 198.18.0.12\n',
      routes: 'routes:\n  - pool: nope   #! routes[0].pool: unknown pool "nope" (pools: app)\n',
    }),
  },
  {
    name: 'node health probes an http service unless told which port',
    text: file({
      services: 'services:\n  - name: tls\n    port: 443\n    protocol: https\n    tls: { certificates: [{ cert: c.pem, key: k.pem }] }\n',
      extra: 'healthChecks:\n  nodes:   #! healthChecks.nodes: no http service to probe nodes on: set healthChecks.nodes.port\n    interval: 100ms\n',
    }),
  },
  {
    name: 'YAML syntax errors carry their line',
    text: file({ extra: 'logging: { level: info\nadmin:   #! file: Flow map in block collection must be sufficiently indented and end with a }\n  port: 9180\n' }),
  },
  {
    name: 'a key given twice',
    text: file({ extra: 'logging:\n  level: info\n  level: debug   #! file: Map keys must be unique\n' }),
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const expected = markers(c.text);
    t.ok(expected.length > 0, 'the case marks at least one line');
    const r = validateConfig(c.text, { checkFiles: false });
    t.equal(r.ok, false, 'the config is refused');
    if (r.ok) return;
    const got = r.issues.map((i) => ({ path: i.path, line: i.line, message: i.message }));
    const byKey = (a: Expected, b: Expected) => a.line - b.line || a.path.localeCompare(b.path);
    const gotSorted = [...got].sort((a, b) => byKey(a as Expected, b as Expected));
    t.equal(gotSorted.length, expected.length, `${expected.length} issue(s) reported:\n${got.map((g) => `${g.path} (line ${g.line}): ${g.message}`).join('\n')}`);
    expected.sort(byKey).forEach((e, i) => {
      const g = gotSorted[i];
      t.equal(g?.path, e.path, `path of issue ${i + 1}`);
      t.equal(g?.line, e.line, `line of ${e.path}`);
      t.ok(g?.message.startsWith(e.message), `message of ${e.path}: "${g?.message}" starts with "${e.message}"`);
    });
  });
}

t.test('an empty file, and a file that is not a map', async (t) => {
  for (const text of ['', '# nothing\n', '- a\n- b\n', '42\n']) {
    const r = validateConfig(text, { checkFiles: false });
    t.equal(r.ok, false);
    if (!r.ok) t.match(r.issues, [{ path: '', message: /expected a map/ }], JSON.stringify(text));
  }
});

t.test('JSON is accepted, and its errors carry lines too', async (t) => {
  const json = `{
  "vip": { "ipv4": "198.19.0.1" },
  "services": [ { "name": "web", "port": 80 } ],
  "nodes": [ { "id": "lb1", "interface": "eth0", "ipv4": "198.18.0.11" } ],
  "pools": { "app": { "servers": [
    { "address": "198.18.0.101", "port": 99999 }
  ] } },
  "routes": [ { "pool": "app" } ]
}`;
  const r = validateConfig(json, { checkFiles: false });
  t.match(r, { ok: false, issues: [{ path: 'pools.app.servers[0].port', line: 6, message: 'expected a number 1-65535' }] });
  const fixed = validateConfig(json.replace('99999', '8080'), { checkFiles: false });
  t.equal(fixed.ok, true);
});
