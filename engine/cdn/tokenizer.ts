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

const stock = Tokenizer.prototype as unknown as Record<string, State>;
const inTagName = skippingName(stock.stateInTagName, false);
const inClosingTagName = skippingName(stock.stateInClosingTagName, false);
const inAttributeName = skippingName(stock.stateInAttributeName, true);
const { stateText, stateBeforeTagName, stateBeforeClosingTagName, stateAfterClosingTagName, stateBeforeAttributeName, stateAfterAttributeName,
  stateBeforeAttributeValue, stateInAttributeValueDoubleQuotes, stateInAttributeValueSingleQuotes, stateInAttributeValueNoQuotes, stateInSelfClosingTag } = stock;

// htmlparser2 12.0's numbers of the states of text and tags (a const enum there, so not exported).
const enum S { Text = 1, BeforeTagName, InTagName, InSelfClosingTag, BeforeClosingTagName, InClosingTagName, AfterClosingTagName,
  BeforeAttributeName, InAttributeName, AfterAttributeName, BeforeAttributeValue, InAttributeValueDq, InAttributeValueSq, InAttributeValueNq }

interface Machine extends Cursor { state: number; running: boolean }

// Text and tags, the states nearly every char of a page is read in, in a loop of their own: the
// stock loop picks a char's state through a chain of comparisons (ordered for other pages), a
// few dozen instructions for every char this one hands to a state in one jump. Each char still
// goes to the stock state function (or the name skip above); any other state (comments,
// scripts, entities...) returns to the stock loop, which reads that char again. Entered from
// the state after a '<', which no stock state calls: the loop is never entered twice at once.
function textAndTags(this: Machine, c: number): void {
  stateBeforeTagName.call(this, c);
  const buffer = this.buffer;
  const last = buffer.length + this.offset - 1;
  while (this.index < last && this.running) {
    c = buffer.charCodeAt(++this.index - this.offset);
    switch (this.state) {
      case S.Text: stateText.call(this, c); break;
      case S.BeforeTagName: stateBeforeTagName.call(this, c); break;
      case S.InTagName: inTagName.call(this, c); break;
      case S.InSelfClosingTag: stateInSelfClosingTag.call(this, c); break;
      case S.BeforeClosingTagName: stateBeforeClosingTagName.call(this, c); break;
      case S.InClosingTagName: inClosingTagName.call(this, c); break;
      case S.AfterClosingTagName: stateAfterClosingTagName.call(this, c); break;
      case S.BeforeAttributeName: stateBeforeAttributeName.call(this, c); break;
      case S.InAttributeName: inAttributeName.call(this, c); break;
      case S.AfterAttributeName: stateAfterAttributeName.call(this, c); break;
      case S.BeforeAttributeValue: stateBeforeAttributeValue.call(this, c); break;
      case S.InAttributeValueDq: stateInAttributeValueDoubleQuotes.call(this, c); break;
      case S.InAttributeValueSq: stateInAttributeValueSingleQuotes.call(this, c); break;
      case S.InAttributeValueNq: stateInAttributeValueNoQuotes.call(this, c); break;
      default: this.index--; return;
    }
  }
}

class IndexOfTokenizer extends Tokenizer {}
for (const [name, value] of Object.entries({ fastForwardTo, stateBeforeTagName: textAndTags, stateInTagName: inTagName, stateInClosingTagName: inClosingTagName, stateInAttributeName: inAttributeName })) {
  Object.defineProperty(IndexOfTokenizer.prototype, name, { value });
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
