// The fixture corpus: every expected URL rewritten, every other byte identical. The expected
// output is built from the input by replacing, in order, each listed `from` with its `to`; the
// rewriter's output must equal it byte for byte, whole and fed in chunks of every small size.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { compilePolicy } from '../../engine/cdn/url-policy.js';
import { HtmlRewriter, rewriteHtml } from '../../engine/cdn/rewriter.js';
import { CdnStats } from '../../engine/cdn/stats.js';
import { fixturesDir, loadRules } from '../fixtures/cdn/fixtures.js';

const policy = compilePolicy(loadRules());
const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** The input with each rewrite applied at the next occurrence of its `from`, in order. */
function expectedOutput(input: Buffer, rewrites: Array<{ from: string; to: string }>): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (const r of rewrites) {
    const at = input.indexOf(latin1(r.from), pos);
    if (at < 0) throw new Error(`expected text ${r.from} not found after byte ${pos}`);
    out.push(input.subarray(pos, at), latin1(r.to));
    pos = at + latin1(r.from).length;
  }
  out.push(input.subarray(pos));
  return Buffer.concat(out);
}

function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `first difference at byte ${i}: got ${JSON.stringify(a.subarray(i, i + 60).toString('latin1'))}, want ${JSON.stringify(b.subarray(i, i + 60).toString('latin1'))}`;
}

function chunked(input: Buffer, size: number, opts: ConstructorParameters<typeof HtmlRewriter>[0]): Buffer {
  const r = new HtmlRewriter(opts);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) out.push(r.write(input.subarray(i, i + size)));
  out.push(r.end());
  return Buffer.concat(out);
}

const names = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.expected.json')).map((f) => f.replace('.expected.json', '')).sort();
t.ok(names.length >= 6, 'the corpus has its pages');

for (const name of names) {
  t.test(name, async (t) => {
    const spec = JSON.parse(fs.readFileSync(path.join(fixturesDir, `${name}.expected.json`), 'utf8')) as { pageUrl: string; charset?: string; rewrites: Array<{ from: string; to: string }> };
    const input = fs.readFileSync(path.join(fixturesDir, `${name}.html`));
    const want = expectedOutput(input, spec.rewrites);
    const stats = new CdnStats();
    const opts = { policy, pageUrl: new URL(spec.pageUrl), charset: spec.charset, stats };
    const got = rewriteHtml(input, opts);
    t.ok(got.equals(want), `whole page: only the ${spec.rewrites.length} URL spans differ` + (got.equals(want) ? '' : `; ${firstDifference(got, want)}`));
    t.equal(stats.urls, spec.rewrites.length, 'every rewrite counted');
    t.equal(stats.pagesPassedThrough, 0, 'no page given up');
    let bad = 0;
    for (const size of [1, 2, 3, 5, 7, 13, 64, 1000]) {
      const c = chunked(input, size, { ...opts, stats: undefined });
      if (!c.equals(want)) { bad++; t.fail(`chunks of ${size} bytes: ${firstDifference(c, want)}`); }
    }
    t.equal(bad, 0, 'the same bytes whatever the chunking (tags split across chunks)');
  });
}

t.test('the rewritten spans are exactly the URL values', async (t) => {
  const input = fs.readFileSync(path.join(fixturesDir, 'shop.html'));
  const spans: string[] = [];
  // A replaced span is the URL's head; an insertion (a plain path keeps its bytes) goes right
  // before the path: the next byte is its first, not a quote or a space.
  rewriteHtml(input, { policy, pageUrl: new URL('https://shop.example.com/de/schuhe'), onEdit: (s, e) => spans.push(input.subarray(s, s === e ? e + 1 : e).toString('latin1')) });
  t.ok(spans.length > 10);
  for (const s of spans) t.notMatch(s, /["'<>\s]/, `span ${JSON.stringify(s)} holds no quote, space or tag syntax`);
});

t.test('anchors are rewritten when the rules say so', async (t) => {
  const p = compilePolicy({ ...loadRules(), rewriteAnchors: true });
  const out = rewriteHtml(Buffer.from('<a href="/wp-content/big.png">x</a><A HREF=/media/y.jpg>y</A><area href="/static/m.png"><a href="/about/">z</a>'), { policy: p, pageUrl: new URL('http://b.example/') });
  t.equal(out.toString(), '<a href="https://cdn2.example.net/edge/wp-content/big.png">x</a><A HREF=https://cdn2.example.net/edge/media/y.jpg>y</A><area href="https://cdn2.example.net/edge/static/m.png"><a href="/about/">z</a>');
});

t.test("a preload link's imagesrcset is rewritten with its href (else the browser preloads images it will not use)", async (t) => {
  const out = rewriteHtml(Buffer.from('<link rel=preload as=image href="/static/a.png" imagesrcset="/static/a.png 1x, /static/a2.png 2x">'), { policy, pageUrl: new URL('http://x.example/') });
  t.notMatch(out.toString(), /["\s]\/static\//, 'no URL left on the page host');
  t.equal(out.toString().match(/https:\/\/cdn[12]\.example\.net(\/edge)?\/static\/a2?\.png/g)?.length, 3, 'href and both candidates');
});

t.test('a Content-Type charset wins over the meta declaration', async (t) => {
  const page = Buffer.concat([latin1('<meta charset="iso-8859-1"><img src="/static/'), Buffer.from('é', 'utf8'), latin1('.png">')]);
  const asUtf8 = rewriteHtml(page, { policy, pageUrl: new URL('http://x.example/'), charset: 'utf-8' }).toString('latin1');
  t.match(asUtf8, 'https://cdn1.example.net/static/%C3%A9.png', 'header says UTF-8: the two bytes are one é');
  const asMeta = rewriteHtml(page, { policy, pageUrl: new URL('http://x.example/') }).toString('latin1');
  t.match(asMeta, /static\/%C3%83%C2%A9\.png/, 'no header: the meta latin1 reads the bytes as Ã©');
});

t.test("an '&' in the page's directory or in a CDN base is escaped in the attribute", async (t) => {
  const page = Buffer.from('<img src="x.png"><img src=\'/static/y.png\'>');
  const inDir = rewriteHtml(page, { policy, pageUrl: new URL('http://x.example/a&b/p.html') }).toString('latin1');
  t.match(inDir, /<img src="https:\/\/cdn[12]\.example\.net(\/edge)?\/a&amp;b\/x\.png">/, 'relative URL under a directory with &');
  const odd = compilePolicy({ ...loadRules(), baseUrls: ["https://cdn.example.net/a&b'c"] });
  const inBase = rewriteHtml(page, { policy: odd, pageUrl: new URL('http://x.example/') }).toString('latin1');
  t.equal(inBase, '<img src="https://cdn.example.net/a&amp;b\'c/x.png"><img src=\'https://cdn.example.net/a&amp;b&#39;c/static/y.png\'>');
});

t.test('single-quoted values get quotes escaped; unknown meta charsets are ignored', async (t) => {
  const out = rewriteHtml(Buffer.from("<meta charset=klingon><img src='/static/it&apos;s.png'>"), { policy, pageUrl: new URL('http://x.example/') });
  t.equal(out.toString(), "<meta charset=klingon><img src='https://cdn2.example.net/edge/static/it&#39;s.png'>");
});
