// htmlparser2's Tokenizer, faster on the same contract. Without entity decoding, the tokenizer
// skips text, attribute values, comments and script/style bodies by calling its private
// `fastForwardTo(char)`, a charCodeAt loop in JavaScript; V8's indexOf does the same search
// natively, several times faster. On a hit `index` is the char's position, on a miss the last
// position of the buffer (parse() then steps past it). Names are read in one loop (below).
//
// The methods are private, so the override is checked once at load: a sample page, fed in small
// pieces, must give the same callbacks as the stock tokenizer, or the stock one is used.
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

interface Cursor { buffer: string; index: number; offset: number }

const CHARS = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

function fastForwardTo(this: Cursor, c: number): boolean {
  const at = this.buffer.indexOf(CHARS[c] ?? String.fromCharCode(c), this.index + 1 - this.offset);
  if (at >= 0) {
    this.index = at + this.offset;
    return true;
  }
  this.index = this.buffer.length + this.offset - 1;
  return false;
}

// Tag and attribute names: the stock tokenizer goes through its whole state loop for every char
// of a name, though only the char that ends it does anything. These states skip to that char in
// one loop, then hand it to the stock state, which reports the name as before.
type State = (this: Cursor, c: number) => void;

function isEndOfTagSection(c: number): boolean {
  return c === 0x2f || c === 0x3e || c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
}

function skippingName(stock: State, endsAtEquals: boolean): State {
  return function (this: Cursor, c: number): void {
    const buffer = this.buffer;
    let i = this.index - this.offset;
    while (!isEndOfTagSection(c) && !(endsAtEquals && c === 0x3d)) {
      if (++i >= buffer.length) {
        this.index = buffer.length + this.offset - 1; // the name goes on in the next chunk
        return;
      }
      c = buffer.charCodeAt(i);
    }
    this.index = i + this.offset;
    stock.call(this, c);
  };
}

class IndexOfTokenizer extends Tokenizer {}
const stockStates = Tokenizer.prototype as unknown as Record<string, State>;
Object.defineProperty(IndexOfTokenizer.prototype, 'fastForwardTo', { value: fastForwardTo });
for (const [state, endsAtEquals] of [['stateInTagName', false], ['stateInClosingTagName', false], ['stateInAttributeName', true]] as const) {
  Object.defineProperty(IndexOfTokenizer.prototype, state, { value: skippingName(stockStates[state], endsAtEquals) });
}

const SAMPLE = '<!doctype html><p class="a" title=\'b\' data-x=c>t &amp; x<!-- c --><![CDATA[d]]>'
  + '<script>if (a < b) s = "</p>";</script><style>p{}</style><img src=/x.png><?pi?></p><br/><hr\nnoshade><x a=1 b/></x\n>';

const CALLBACKS = ['onattribdata', 'onattribentity', 'onattribend', 'onattribname', 'oncdata', 'onclosetag', 'oncomment', 'ondeclaration',
  'onend', 'onopentagend', 'onopentagname', 'onprocessinginstruction', 'onselfclosingtag', 'ontext', 'ontextentity'] as const;

/** Every callback `T` makes on `page` fed in pieces of `chunk` chars, with its arguments, in order. */
export function tokenizerEvents(T: typeof Tokenizer, page: string, chunk: number): string[] {
  const log: string[] = [];
  // A plain object, not a Proxy: a Proxy seen at the tokenizer's callback sites would make
  // every later callback of every page a generic (slow) property load.
  const cbs = Object.fromEntries(CALLBACKS.map((name) => [name, (...args: unknown[]) => { log.push(`${name} ${args.join()}`); }]));
  const tokenizer = new T({ decodeEntities: false }, cbs as unknown as TokenizerCallbacks);
  for (let i = 0; i < page.length; i += chunk) tokenizer.write(page.slice(i, i + chunk));
  tokenizer.end();
  return log;
}

function overrideWorks(): boolean {
  try { return tokenizerEvents(IndexOfTokenizer, SAMPLE, 7).join(';') === tokenizerEvents(Tokenizer, SAMPLE, 7).join(';'); } catch { return false; }
}

/** The tokenizer class to use: the fast one when it behaves as the stock one. */
export const FastTokenizer: typeof Tokenizer = overrideWorks() ? IndexOfTokenizer : Tokenizer;
