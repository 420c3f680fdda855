// The indexOf tokenizer must report exactly what htmlparser2's own reports, on every page and in
// every chunking: the rewriter splices bytes at the positions it gets.
import t from 'tap';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from 'htmlparser2';
import { FastTokenizer, tokenizerEvents } from '../../engine/cdn/tokenizer.js';
import { fixturesDir } from '../fixtures/cdn/fixtures.js';

const edgeCases: Array<[string, string]> = [
  ['unterminated comment', '<p>a<!-- never closed <img src=x>'],
  ['unterminated attribute value', '<img alt="open src=/a.png>text'],
  ['script without its end tag', '<script>if (a<b) x = "<p>";'],
  ['style with a stray </', '<style>a{background:url(/x.png)}</sty</style><p>'],
  ['quotes and > in values', `<a title='x>"y' href="/a?b='c'">z</a>`],
  ['CDATA and processing instruction', '<svg><![CDATA[ <x> ]]></svg><?xml x?>'],
  ['empty', ''],
  ['names ended every way', '<IMG\tSRC=/a.png\nALT/><br/><a\rhref="x"data-x=y =z/>< p></DIV\f><x=y>'],
  ['whitespace runs and values of every quoting', '<p  a = "1"\t\tb=\'2\'  c=3\n d  e\n>x</p  ><br / ><img src=/a.png/><i/ x>'],
  ['a < that opens no tag', 'a < b <= c <3 <<p>d</ p>e<'],
  ['tags right after script, style, title and a comment', '<script></script><img src=a><style></style><a href=b><title>t</title><p x=y><!----><q r=s>'],
  ['every special tag, in any case, and names that only begin like one', '<SCRIPT>a</script x><Style>b</STYLE><title>c<p></title><TextArea>d</textarea>'
    + '<xmp><i></xmp><iframe><b></iframe><noembed></noembed><noframes></noframes><scripts><sty><titles><textareax><xm><p>e</p><plaintext><p>f'],
  ['a long name cut by every chunking', `<div ${'data-'.repeat(40)}x="1" ${'a'.repeat(300)}></${'b'.repeat(200)}>`],
];

t.not(FastTokenizer, Tokenizer, 'the indexOf override passed its load-time check with the installed htmlparser2');

const pages = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.html')).map((f) => [f, fs.readFileSync(path.join(fixturesDir, f), 'latin1')]);
for (const [name, page] of [...pages, ...edgeCases]) {
  t.test(name, async (t) => {
    for (const chunk of [1, 2, 7, 64, 1 << 20]) {
      t.same(tokenizerEvents(FastTokenizer, page, chunk), tokenizerEvents(Tokenizer, page, chunk), `chunks of ${chunk}: same callbacks, same positions`);
    }
  });
}

// Any mix of markup pieces, in any chunking: the override must not differ on input no list foresees.
const piece = fc.oneof(
  fc.constantFrom('<', '>', '/', '=', '"', "'", ' ', '\n', '\t', '!', '?', '-', '&', 'a', 'img', 'src', 'p', 'script', 'style', 'title', 'textarea',
    '<!--', '-->', '<![CDATA[', ']]>', '</', '/>', '<a href="/x">', '<img src=/y.png>', "<p class='c'>", '</p>', '<script>', '</script>', '<style>', '</style>',
    'SCRIPT', 'Style', 'TITLE', 'textareas', 'xmp', 'iframe', 'noembed', 'noframes', '<title>', '</title>', '<textarea>', '</textarea>', '<xmp>', '</xmp>',
    '<iframe>', '</iframe>', '<noframes>', '</noframes>', '<plaintext>',
    // end tags cut, doubled, in upper case, and the control chars the stock sequence match takes for '<' and '/' (c | 0x20)
    '</scr', 'ipt>', '</SCRIPT ', '<</style>', '</title\t', '\x1c/script>', '<\x0fstyle>', '</textarea/'),
  fc.string({ maxLength: 6 }),
);

t.test('random markup in random chunks: same callbacks as the stock tokenizer', async (t) => {
  fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (parts, chunk) => {
    const page = parts.join('');
    return tokenizerEvents(FastTokenizer, page, chunk).join(';') === tokenizerEvents(Tokenizer, page, chunk).join(';');
  }), { numRuns: 2000 });
  t.pass('2000 random pages');
});
