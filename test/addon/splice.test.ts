// The byte splicer the CDN rewriter hands its edits to, through the binding: edits applied to
// held text + chunk bytes, every other byte kept; edits that do not fit refused with a coded error.
import t from 'tap';
import { native } from '../../engine/native.js';

const edits = (...triples: number[]) => Int32Array.from(triples);

t.test('edits across the held text and the chunk, every other byte kept', async (t) => {
  const held = '<a><img src="/im';
  const chunk = Buffer.from('g.png"> tail');
  const out = native.spliceLatin1(held, chunk, held.length + chunk.length, edits(1, 2, 1, 13, 21, 3, 27, 27, 1, 0, 0, 0), 3, 'Bxyz!');
  t.ok(Buffer.isBuffer(out));
  t.equal(out.toString('latin1'), '<B><img src="xyz"> tai!l');
  t.equal(native.spliceLatin1('', chunk, 5, edits(), 0, '').toString('latin1'), 'g.png', 'no edits: a copy up to `to`');
});

t.test('latin1 bytes pass as they are', async (t) => {
  const chunk = Buffer.from([0x3c, 0xe9, 0xff, 0x80, 0x3e]);
  const out = native.spliceLatin1('\u00e9\u00ff', chunk, 7, edits(2, 3, 1), 1, '\u00fc');
  t.same([...out], [0xe9, 0xff, 0xfc, 0xe9, 0xff, 0x80, 0x3e]);
});

t.test('the output is a new buffer: the chunk can be reused', async (t) => {
  const chunk = Buffer.from('abc');
  const out = native.spliceLatin1('', chunk, 3, edits(), 0, '');
  chunk.fill(0x21);
  t.equal(out.toString(), 'abc');
});

t.test('edits that do not fit are refused, naming the rule', async (t) => {
  const chunk = Buffer.from('0123456789');
  const refused = { code: 'ERR_INVALID_ARG', message: /edits in order, not overlapping, inside the input/ };
  t.throws(() => native.spliceLatin1('', chunk, 11, edits(), 0, ''), refused, 'past the input');
  t.throws(() => native.spliceLatin1('', chunk, 10, edits(4, 6, 0, 5, 7, 0), 2, ''), refused, 'overlapping');
  t.throws(() => native.spliceLatin1('', chunk, 10, edits(1, 1, 3), 1, 'ab'), refused, 'more text than given');
  t.throws(() => native.spliceLatin1('', chunk, 10, edits(1, 1, 0), 2, ''), { code: 'ERR_INVALID_ARG', message: /count/ }, 'count past the array');
  t.throws(() => native.spliceLatin1(1 as unknown as string, chunk, 10, edits(), 0, ''), { code: 'ERR_INVALID_ARG', message: /string for held/ });
});
