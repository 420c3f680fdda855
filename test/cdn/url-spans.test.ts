import t from 'tap';
import { cssUrlSpans, srcsetSpans } from '../../engine/cdn/url-spans.js';

const texts = (s: string, spans: Array<[number, number]>) => spans.map(([a, b]) => s.slice(a, b));

const srcsets: Array<[string, string, string[]]> = [
  ['one URL', '/a.png', ['/a.png']],
  ['width descriptors', '/a.png 300w, /b.png 600w', ['/a.png', '/b.png']],
  ['no spaces after commas', '/a.png 1x,/b.png 2x', ['/a.png', '/b.png']],
  ['commas inside URLs', 'https://i.example/a,w_300.webp 300w,https://i.example/a,w_600.webp 600w', ['https://i.example/a,w_300.webp', 'https://i.example/a,w_600.webp']],
  ['a comma without a space does not split a URL (as browsers parse it)', '/a.png,/b.png 2x', ['/a.png,/b.png']],
  ['URL ending in a comma has no descriptor', '/a.png, /b.png 2x', ['/a.png', '/b.png']],
  ['newlines and stray commas', '\n  ,, /a.png   480w,\n /b.png  800w ,, ', ['/a.png', '/b.png']],
  ['parenthesised descriptor with a comma', '/a.png 1x (x, y), /b.png 2x', ['/a.png', '/b.png']],
  ['empty', '   ', []],
];
for (const [name, s, want] of srcsets) t.same(texts(s, srcsetSpans(s)), want, `srcset: ${name}`);

t.test('srcset: a URL of any length ends at any whitespace', async (t) => {
  const wrong: string[] = [];
  for (let n = 1; n <= 13; n++) {
    for (const space of [' ', '\t', '\n', '\f', '\r']) {
      const a = `/${'a'.repeat(n - 1)}`;
      const b = `/${'b'.repeat(n + 2)}`;
      const s = `${a}${space}1x,${space}${b}${space}2x`;
      const got = texts(s, srcsetSpans(s));
      if (got.join('|') !== `${a}|${b}`) wrong.push(JSON.stringify(s));
      const tail = `${a},${space}${b}`; // no descriptors, the second URL runs to the end
      if (texts(tail, srcsetSpans(tail)).join('|') !== `${a}|${b}`) wrong.push(JSON.stringify(tail));
    }
  }
  t.same(wrong, []);
});

const css: Array<[string, string, boolean, string[]]> = [
  ['unquoted', 'a{background:url(/a.png)}', false, ['/a.png']],
  ['double quotes and spaces', 'url(  "/a b.png"  )', false, ['/a b.png']],
  ['single quotes, upper case', "URL('/a.png')", false, ['/a.png']],
  ['several', 'src:url(/f.woff2) format("woff2"),url(/f.woff)', false, ['/f.woff2', '/f.woff']],
  ['entity quotes in an attribute', 'background:url(&quot;/a.png&quot;)', true, ['/a.png']],
  ['numeric entity quotes in an attribute', 'background:url(&#39;/a.png&#39;)', true, ['/a.png']],
  ['entity quotes are text in a style sheet', 'url(&quot;/a.png&quot;)', false, ['&quot;/a.png&quot;']],
  ['unterminated quote', 'url("/a.png)', false, []],
  ['unterminated url(', 'url(/a.png', false, []],
  ['empty url()', 'url()', false, []],
];
for (const [name, s, attr, want] of css) t.same(texts(s, cssUrlSpans(s, 0, s.length, attr)), want, `css: ${name}`);
