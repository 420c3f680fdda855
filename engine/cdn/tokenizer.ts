// htmlparser2's Tokenizer, faster on the same contract. Without entity decoding, the tokenizer
// skips text, attribute values, comments and script/style bodies by calling its private
// `fastForwardTo(char)`, a charCodeAt loop in JavaScript; V8's indexOf does the same search
// natively, several times faster. On a hit `index` is the char's position, on a miss the last
// position of the buffer (parse() then steps past it). Names are read in one loop, and the
// states most chars are read in take turns in a loop of their own (below).
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

// What ends a name, by char code, one lookup a char: '/', '>' and whitespace end any name, '='
// an attribute's too. Chars past latin1 read as undefined, which ends nothing, as they should.
const ENDS_TAG_NAME = 1;
const ENDS_ATTRIBUTE_NAME = 2;
const NAME_END = new Uint8Array(256);
for (const c of [0x2f, 0x3e, 0x20, 0x0a, 0x09, 0x0c, 0x0d]) NAME_END[c] = ENDS_TAG_NAME | ENDS_ATTRIBUTE_NAME;
NAME_END[0x3d] = ENDS_ATTRIBUTE_NAME;

function skippingName(stock: State, ends: number): State {
  return function (this: Cursor, c: number): void {
    const buffer = this.buffer;
    let i = this.index - this.offset;
    while ((NAME_END[c] & ends) === 0) {
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
const inTagName = skippingName(stock.stateInTagName, ENDS_TAG_NAME);
const inClosingTagName = skippingName(stock.stateInClosingTagName, ENDS_TAG_NAME);
const inAttributeName = skippingName(stock.stateInAttributeName, ENDS_ATTRIBUTE_NAME);
const { stateText, stateBeforeTagName, stateBeforeClosingTagName, stateAfterClosingTagName, stateBeforeAttributeName, stateAfterAttributeName,
  stateBeforeAttributeValue, stateInAttributeValueDoubleQuotes, stateInAttributeValueSingleQuotes, stateInAttributeValueNoQuotes, stateInSelfClosingTag,
  stateInCommentLike, stateSpecialStartSequence, stateInSpecialTag } = stock;

// htmlparser2 12.0's numbers of its states (a const enum there, so not exported).
const enum S { Text = 1, BeforeTagName, InTagName, InSelfClosingTag, BeforeClosingTagName, InClosingTagName, AfterClosingTagName,
  BeforeAttributeName, InAttributeName, AfterAttributeName, BeforeAttributeValue, InAttributeValueDq, InAttributeValueSq, InAttributeValueNq,
  InCommentLike = 22, SpecialStartSequence, InSpecialTag }

interface Machine extends Cursor { state: number; running: boolean }

// Text, tags, comments and script bodies, the states nearly every char of a page is read in, in
// a loop of their own: the stock loop picks a char's state through a chain of comparisons
// (ordered for other pages), a few dozen instructions for every char this one hands to a state
// in one jump. Each char still goes to the stock state function (or the name skip above); any
// other state (declarations, CDATA, entities...) returns to the stock loop, which reads that
// char again. Entered from the state after a '<', which no stock state calls: the loop is
// never entered twice at once.
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
      case S.InCommentLike: stateInCommentLike.call(this, c); break;
      case S.SpecialStartSequence: stateSpecialStartSequence.call(this, c); break;
      case S.InSpecialTag: stateInSpecialTag.call(this, c); break;
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
