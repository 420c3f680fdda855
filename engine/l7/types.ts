// Plain option objects of the L7 node. The config layer (engine/config) maps its schema onto
// these; nothing here reads files or environment. Durations are milliseconds.
import type { AccessOptions } from './access-list.js';
import type { ClientLimitOptions } from './client-limit.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { RewriteRules } from '../cdn/url-policy.js';
import type { HeadLimits } from './http/limits.js';
import type { HeaderRuleOptions } from './header-rules.js';
import type { RequestIdOptions } from './request-id.js';
import type { CompressionOptions } from './compression.js';
import type { RedirectRule } from './redirect.js';

export interface ServerOptions {
  /** Stable name of the back-end within its pool (used in cookies, hashing, health reports). */
  id: string;
  host: string;
  port: number;
  /** Relative share for weighted policies and hashing; default 1. 0 = drain. */
  weight?: number;
  /** Most connections to this server (in use + idle) from this proxy; further requests wait. Default: the pool's maxConnectionsPerServer. */
  maxConnections?: number;
  /** Serves only while no other server of the pool can; the first backup up takes everything. */
  backup?: boolean;
}

/** What a hash policy hashes: the request target, its path alone (no query), the client address, a header or a cookie. */
export type HashOn = 'url' | 'path' | 'client-address' | { header: string } | { cookie: string };

export type PolicyOptions =
  | { kind: 'round-robin' }
  | { kind: 'weighted-round-robin' }
  | { kind: 'least-connections' }
  | { kind: 'hash'; on: HashOn };

export type PersistenceOptions =
  /** Cookie injection: the LB sets an opaque cookie naming the chosen server. */
  | { kind: 'cookie'; name?: string; secret?: string; maxAgeSeconds?: number; secure?: boolean }
  /** The back-end's own session ID, learned from responses (Set-Cookie, Location ;jsessionid=). */
  | { kind: 'session-id'; names?: string[]; groups?: number; inUrl?: boolean }
  /** Client address → server, kept in hash groups. */
  | { kind: 'client-address'; groups?: number };

export interface HealthCheckOptions {
  /** Active check: HTTP GET of this path on every server. */
  path?: string;
  /** Statuses that pass the check (any of them). Default [200]. */
  expectStatus?: readonly number[];
  intervalMs?: number;
  timeoutMs?: number;
  /** Consecutive successes to come back up. */
  rise?: number;
  /** Consecutive failures to go down. */
  fall?: number;
  /** Passive: this many consecutive connection errors reported by workers mark a server down. */
  passiveErrors?: number;
  /** Passive: this many 5xx responses within `fiveXxWindowMs` mark a server down. */
  fiveXxBurst?: number;
  fiveXxWindowMs?: number;
}

export interface UpstreamTlsOptions {
  /** Re-encrypt to the back-ends of this pool. */
  servername?: string;
  /** PEM CA bundle to verify back-ends; default: do not verify (back-ends are usually self-signed). */
  ca?: string;
  rejectUnauthorized?: boolean;
}

export interface PoolOptions {
  name: string;
  servers: ServerOptions[];
  policy?: PolicyOptions;
  persistence?: PersistenceOptions;
  health?: HealthCheckOptions;
  /** Upstream connections per server per worker (in use + idle). Default 256. */
  maxConnectionsPerServer?: number;
  /** Idle keep-alive connections kept per server per worker; 0: a connection per request. Default 64. */
  maxIdlePerServer?: number;
  /** Idle upstream keep-alive connections are closed after this long. Default 30 s. */
  idleTimeoutMs?: number;
  /** Connect to a back-end within this time or answer 504. Default 3 s. */
  connectTimeoutMs?: number;
  /** Wait this long for (each part of) a response or answer 504. Default 30 s. */
  responseTimeoutMs?: number;
  /** A server that comes back up reaches its full weight over this time (weighted policies). Default 0: at once. */
  slowStartMs?: number;
  tls?: UpstreamTlsOptions;
}

export interface RouteRule {
  /** Host header to match (case-insensitive, port ignored); omit for any host. */
  host?: string;
  pathPrefix?: string;
  /** JavaScript regular expression matched against the request target. */
  pathRegex?: string;
  pool: string;
  /** CDN rewriting (and caching) of this route's HTML pages. */
  cdn?: RouteCdnOptions;
}

/** A route's CDN rules; `cache.enabled` false streams every page through the rewriter. */
export type RouteCdnOptions = RewriteRules & { cache?: { enabled?: boolean } };

export interface CertificateOptions {
  /** PEM text. */
  cert: string;
  key: string;
  /** Host names this certificate serves (SNI); wildcards like *.example.com allowed. */
  servernames?: string[];
}

export interface ListenerTlsOptions {
  /** The first certificate is the default when SNI names none of them. */
  certificates: CertificateOptions[];
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** 48 bytes shared by all workers so tickets from one resume on another. */
  ticketKeys?: Buffer;
  sessionTimeoutSeconds?: number;
  /**
   * Session tickets (default true): resumption on any worker. False: no resumption at all (no
   * session cache either). TLS 1.3 clients still get two NewSessionTicket messages per full
   * handshake, holding only a session ID (OpenSSL 3.0's stateful tickets, as from nginx with
   * `ssl_session_tickets off`), so the saving is the session encryption into each ticket.
   */
  sessionTickets?: boolean;
}

export interface ClientTimeouts {
  /** A request head must arrive completely within this time, else 408. Default 10 s. */
  headersMs: number;
  /** Gap allowed between request body bytes, else 408. Default 30 s. */
  bodyMs: number;
  /** An idle kept-alive client connection is closed after this. Default 5 s. */
  keepAliveMs: number;
}

export interface ServiceOptions {
  name: string;
  host: string;
  port: number;
  tls?: ListenerTlsOptions;
  routes?: RouteRule[];
  defaultPool: string;
  /** CDN rules of the default route (the requests no rule matches). */
  defaultCdn?: RouteCdnOptions;
  /** Adds `Via: 1.1 <via>` to requests and responses when set. */
  via?: string;
  /** Answer every request with this redirect (engine/l7/redirect.ts); no request reaches a pool. */
  redirect?: RedirectRule;
  timeouts?: Partial<ClientTimeouts>;
  limits?: Partial<HeadLimits>;
  /** Largest request body, in bytes; a larger one is answered 413 and its connection closed. Default: no limit. */
  maxBodyBytes?: number;
  /** Fields set or removed on the requests sent to back-ends and on the back-ends' responses (engine/l7/header-rules.ts). */
  headers?: { request?: HeaderRuleOptions; response?: HeaderRuleOptions };
}

export interface L7Options {
  /** Worker threads; default one per core. */
  workers?: number;
  services: ServiceOptions[];
  pools: PoolOptions[];
  /**
   * The CDN rules of every route of the node, as the page cache host was configured with them
   * (their hash tags stored pages). Default: the routes' own `cdn` blocks.
   */
  cdnRules?: readonly (RewriteRules | undefined)[];
  /** Access log: a file path (appended to by every worker) or "-" (standard output). Off when absent. */
  accessLog?: string;
  /**
   * Most open client connections of each listener of this proxy; one beyond is closed when accepted (counted).
   * L7Node shares this and every server's maxConnections out among its workers. Default: no limit.
   */
  maxConnections?: number;
  /** Requests per client address over every worker and service of this proxy; beyond it, 429. Off when absent. */
  rateLimit?: RateLimitOptions;
  /** Client addresses served (allow, when not empty) and refused (deny): others are reset when accepted. */
  access?: AccessOptions;
  /** Open connections per client address over every worker and service of this proxy; one beyond is reset when accepted. Off when absent. */
  clientLimit?: ClientLimitOptions;
  /** An ID per request, sent to the back-end and the client in a header and logged. Off when absent. */
  requestId?: RequestIdOptions;
  /** Compression of back-end responses the client accepts compressed (engine/l7/compression.ts). Off when absent. */
  compression?: CompressionOptions;
}

export const defaultTimeouts: ClientTimeouts = { headersMs: 10_000, bodyMs: 30_000, keepAliveMs: 5_000 };
export const poolDefaults = { maxConnectionsPerServer: 256, maxIdlePerServer: 64, idleTimeoutMs: 30_000, connectTimeoutMs: 3_000, responseTimeoutMs: 30_000 };
