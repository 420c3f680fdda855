// Counters of the CDN layer (the hot path counts, it never logs). One instance per worker; the
// admin endpoint reads them by name.
export class CdnStats {
  /** HTML responses that went through the rewriter. */
  pages = 0;
  /** HTML bytes read by the rewriter. */
  bytes = 0;
  /** URLs rewritten. */
  urls = 0;
  /** Pages passed through unmodified because the rewriter could not handle them (from that point on). */
  pagesPassedThrough = 0;
  /** Tags (or style blocks) larger than the limit, passed through unmodified. */
  oversizedTags = 0;

  snapshot(): Record<string, number> {
    return { cdn_pages: this.pages, cdn_bytes: this.bytes, cdn_urls: this.urls, cdn_pages_passed_through: this.pagesPassedThrough, cdn_oversized_tags: this.oversizedTags };
  }
}
