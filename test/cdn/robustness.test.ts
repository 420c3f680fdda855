// Bad input: malformed, truncated and enormous HTML never throws and never changes a byte outside
// the rewritten URL values; fuzzed HTML-ish input keeps that promise for any chunking.
import t from 'tap';
import fc from 'fast-check';
import { compilePolicy } from '../../engine/cdn/url-policy.js';
import { HtmlRewriter, rewriteHtml } from '../../engine/cdn/rewriter.js';
import { CdnStats } from '../../engine/cdn/stats.js';

const policy = compilePolicy({ baseUrls: ['https://cdn.example.net'], include: { prefixes: ['/s/'], extensions: ['.png'] } });
const pageUrl = new URL('http://site.example/dir/page.html');
const CDN = Buffer.from('https://cdn.example.net');

interface Run { out: Buffer; edits: Array<{ start: number; end: number; text: string }>; stats: CdnStats }

function run(input: Buffer, chunkSizes: number[], maxTagBytes?: number): Run {
  const edits: Run['edits'] = [];
  const stats = new CdnStats();
  const r = new HtmlRewriter({ policy, pageUrl, maxTagBytes, stats, onEdit: (start, end, text) => edits.push({ start, end, text }) });
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos < input.length; i++) {
    const n = Math.max(1, chunkSizes[i % chunkSizes.length]);
    out.push(r.write(input.subarray(pos, pos + n)));
    pos += n;
  }
  out.push(r.end());
  edits.sort((a, b) => a.start - b.start);
  return { out: Buffer.concat(out), edits, stats };
}

/** The input with the reported edits applied: the output must be exactly this. */
function applyEdits(input: Buffer, edits: Run['edits']): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (const e of edits) {
    parts.push(input.subarray(pos, e.start), Buffer.from(e.text, 'latin1'));
    pos = e.end;
  }
  parts.push(input.subarray(pos));
  return Buffer.concat(parts);
}

function checkRun(input: Buffer, r: Run): string | undefined {
  for (let i = 1; i < r.edits.length; i++) if (r.edits[i].start < r.edits[i - 1].end) return 'overlapping edits';
  for (const e of r.edits) {
    if (!Buffer.from(e.text, 'latin1').includes(CDN)) return `edit ${e.text} is not a CDN URL`;
  }
  if (!applyEdits(input, r.edits).equals(r.out)) return 'output differs from the input outside the edits';
  return undefined;
}

const cases: Array<[string, string]> = [
  ['unclosed attribute quote to EOF', '<img src="/s/a.png alt=x><p>text'],
  ['tag cut at EOF', '<p>x</p><img src="/s/a.p'],
  ['lone <', 'a < b <'],
  ['comment never closed', '<!-- <img src="/s/a.png">'],
  ['bogus comment and doctype junk', '<!DOCTYPE html SYSTEM "x"><! foo <img src=/s/b.png> ><?php echo 1 ?><img src=/s/c.png>'],
  ['end tag with attributes', '</div class="/s/x.png"><img src=/s/d.png>'],
  ['style never closed', '<style>a{background:url(/s/e.png)}'],
  ['script never closed', '<script>var a = "<img src=/s/f.png>";'],
  ['NUL and control bytes', '<img\u0000 src="/s/g.png"\u0001><p\u0007>'],
  ['invalid UTF-8 in a URL', '<img src="/s/\xff\xfe.png">'],
  ['attribute without a name', '<img ="x" src=/s/h.png>'],
  ['many equal signs', '<img src==/s/i.png src===/s/j.png>'],
];

t.test('malformed and truncated pages', async (t) => {
  for (const [name, html] of cases) {
    const input = Buffer.from(html, 'latin1');
    const whole = run(input, [input.length]);
    t.equal(checkRun(input, whole), undefined, `${name}: only URL spans change`);
    const bytewise = run(input, [1]);
    t.ok(bytewise.out.equals(whole.out), `${name}: same output byte by byte`);
  }
});

t.test('enormous input: a huge tag passes unmodified and is counted, memory stays bounded', async (t) => {
  const bigValue = 'x'.repeat(300_000);
  const input = Buffer.from(`<img src="/s/before.png"><img title="${bigValue}" src="/s/in-big-tag.png"><img src="/s/after.png">`);
  const r = run(input, [16384], 64 * 1024);
  t.equal(checkRun(input, r), undefined, 'bytes intact');
  t.equal(r.stats.oversizedTags, 1, 'the oversized tag is counted');
  t.equal(r.edits.length, 2, 'the tags before and after are still rewritten');
  t.notMatch(r.out.subarray(30, r.out.length - 60).toString(), 'cdn.example.net', 'nothing inside the huge tag changed');

  const css = `<style>${'a{b:c}'.repeat(20_000)}.x{background:url(/s/x.png)}</style><img src=/s/y.png>`;
  const rs = run(Buffer.from(css), [4096], 32 * 1024);
  t.equal(rs.stats.oversizedTags, 1, 'a huge <style> passes unmodified and is counted');
  t.equal(rs.edits.length, 1, 'the image after it is rewritten');

  // 20 MB of text and tags, chunk by chunk: the rewriter holds back only the open tag.
  const r2 = new HtmlRewriter({ policy, pageUrl });
  const chunk = Buffer.from('<p class="c">' + 'lorem ipsum '.repeat(80) + '</p><img src="/s/z.png">\n');
  let out = 0;
  let maxPending = 0;
  let written = 0;
  for (let i = 0; i < 20_000; i++) {
    out += r2.write(chunk).length;
    written += chunk.length;
    maxPending = Math.max(maxPending, written - out - (i + 1) * 23 /* rewritten URLs are 23 bytes longer */);
  }
  out += r2.end().length;
  t.ok(maxPending < 64 * 1024, `never more than an open tag held back (max ${maxPending} bytes)`);
});

t.test('an internal failure passes the rest of the page through and counts it', async (t) => {
  const stats = new CdnStats();
  const r = new HtmlRewriter({ policy, pageUrl, stats });
  const head = r.write(Buffer.from('<img src=/s/a.png><img sr'));
  (r as unknown as { tokenizer: { write(): void } }).tokenizer.write = () => { throw new Error('boom'); };
  const rest = Buffer.concat([r.write(Buffer.from('c=/s/b.png>tail')), r.end()]);
  t.equal(stats.pagesPassedThrough, 1);
  t.equal(Buffer.concat([head, rest]).toString(), '<img src=https://cdn.example.net/s/a.png><img src=/s/b.png>tail');
});

// HTML-ish generator: fragments that stress the tokenizer around URL attributes.
const fragment = fc.oneof(
  fc.constantFrom('<img src="/s/a.png">', "<IMG SRC='/s/b.png'>", '<img src=/s/c.png>', '<link rel=stylesheet href="/s/d.css">',
    '<source srcset="/s/e.png 1x, /s/f.png 2x">', '<div style="background:url(/s/g.png)">', '<style>.a{background:url("/s/h.png")}</style>',
    '<script>var s="<img src=/s/i.png>"</script>', '<!-- <img src="/s/j.png"> -->', '<base href="/s/">', '<video poster=k.png>',
    '<img data-src="/s/l.png?a=1&amp;b=2#f">', '<textarea><img src=/s/m.png></textarea>', '</p>', '<p>', '<br/>', '&amp;', '&#x3c;',
    '<', '>', '"', "'", '=', ' ', '\n', '/', '<!', '<?', '</', 'src', 'href', 'url(', ')', '<![CDATA[', ']]>', '-->', 'é', '\u00ff'),
  fc.string({ maxLength: 8 }),
);

t.test('fuzz: output equals input outside rewritten spans, for any chunking', async (t) => {
  fc.assert(fc.property(fc.array(fragment, { maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }), (parts, sizes) => {
    const input = Buffer.from(parts.join(''), 'latin1');
    const whole = run(input, [Math.max(1, input.length)]);
    const problem = checkRun(input, whole);
    if (problem !== undefined) throw new Error(problem);
    const split = run(input, sizes);
    if (!split.out.equals(whole.out)) throw new Error('chunking changed the output');
    return true;
  }), { numRuns: 1500, seed: 20261125 });
  t.pass('1500 random pages');
});

t.test('rewriteHtml of an empty page is empty', async (t) => {
  t.equal(rewriteHtml(Buffer.alloc(0), { policy, pageUrl }).length, 0);
});
