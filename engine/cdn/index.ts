// The CDN layer as the L7 proxy and the admin endpoint see it.
//
// Main thread (one per node):
//   const cdn = new CdnNode({ maxBytes });       cdn.configure(allRoutesCdnRules)  (again on reload)
//   worker: const { port1, port2 } = new MessageChannel(); cdn.attachWorker(port1); hand port2 over
//   admin:  cdn.purge({ url }) / cdn.purge({ prefix })
// Worker thread:
//   const route = new RouteCdn(route.cdn, new PageCacheClient(port2))
//   per HTML-eligible request: route.serve(req, fetchOrigin)   (GET/HEAD through the cache when it has one)
//   or, for a response already in hand: route.plan(req, head) → null | { transform, headers }
import type { MessagePort } from 'node:worker_threads';
import { CachingRewriter, fetchThrough, type FetchOrigin, type FrontResponse, type PageRequestInfo } from './cache-front.js';
import { planRewrite, type PageRequest, type ResponseHeadView, type RewritePlan } from './encoding.js';
import { PageCache, rulesHash, type PageCacheApi } from './page-cache.js';
import { PageCacheHost } from './cache-channel.js';
import { CdnStats } from './stats.js';
import { compilePolicy, type RewriteRules, type UrlPolicy } from './url-policy.js';

export { CachingRewriter, fetchThrough, notModified, streamThrough, type FetchOrigin, type FrontResponse, type OriginResponse, type PageRequestInfo } from './cache-front.js';
export { PageCacheClient, PageCacheHost } from './cache-channel.js';
export { PageCache, rulesHash, type PageCacheApi } from './page-cache.js';
export { planRewrite, type PageRequest, type ResponseHeadView, type RewritePlan } from './encoding.js';
export { headerMapOf, type HeaderMap } from './headers.js';
export { createRewriteStream } from './rewrite-stream.js';
export { HtmlRewriter, rewriteHtml } from './rewriter.js';
export { compilePolicy, type RewriteRules, type UrlPolicy } from './url-policy.js';
export { CdnStats };

export type PurgeTarget = { url: string } | { prefix: string };

/** Main thread: the node's page cache, served to every worker. */
export class CdnNode {
  readonly cache: PageCache;
  private readonly host: PageCacheHost;

  constructor(options: { maxBytes: number; leaseMs?: number }) {
    this.cache = new PageCache(options);
    this.host = new PageCacheHost(this.cache);
  }

  /** The CDN rules of every route (in config order): a change flushes the cache. */
  configure(rules: readonly (RewriteRules | undefined)[], maxBytes?: number): void {
    this.cache.setConfigHash(rulesHash(rules));
    if (maxBytes !== undefined) this.cache.resize(maxBytes);
  }

  attachWorker(port: MessagePort): void {
    this.host.attach(port);
  }

  purge(target: PurgeTarget): Promise<number> {
    return 'url' in target ? this.cache.purge(target.url, false) : this.cache.purge(target.prefix, true);
  }
}

/** Worker thread: one route's rewriting, through the shared cache when it has one. */
export class RouteCdn {
  readonly policy: UrlPolicy;
  readonly caching: CachingRewriter | undefined;
  readonly stats: CdnStats;

  /**
   * `nodeRules`: the same list CdnNode.configure got (its hash tags stored pages); `cache`
   * undefined (or `rules.cache.enabled` false) streams every page.
   */
  constructor(rules: RewriteRules & { cache?: { enabled?: boolean } }, nodeRules: readonly (RewriteRules | undefined)[], cache: PageCacheApi | undefined, stats = new CdnStats()) {
    this.policy = compilePolicy(rules);
    this.stats = stats;
    this.caching = cache === undefined || rules.cache?.enabled === false
      ? undefined
      : new CachingRewriter({ cache, policy: this.policy, rules: rulesHash(nodeRules), stats });
  }

  /** One page request: through the shared cache, or fetched and rewritten as it streams. */
  async serve(req: PageRequestInfo, fetchOrigin: FetchOrigin): Promise<FrontResponse> {
    if (this.caching !== undefined) return this.caching.handle(req, fetchOrigin);
    return fetchThrough(this.policy, req, fetchOrigin, this.stats);
  }

  /** The streaming rewrite of a response head, or null to forward it untouched. */
  plan(req: PageRequest, head: ResponseHeadView): RewritePlan | null {
    return planRewrite(this.policy, req, head, this.stats);
  }
}
