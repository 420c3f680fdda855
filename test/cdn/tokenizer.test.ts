// The indexOf tokenizer must report exactly what htmlparser2's own reports, on every page and in
// every chunking: the rewriter splices bytes at the positions it gets.
import t from 'tap';
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
