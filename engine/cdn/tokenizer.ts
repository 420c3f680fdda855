// htmlparser2's Tokenizer, faster on the same contract. Without entity decoding, the tokenizer
// skips text, attribute values, comments and script/style bodies by calling its private
// `fastForwardTo(char)`, a charCodeAt loop in JavaScript; V8's indexOf does the same search
// natively, several times faster. On a hit `index` is the char's position, on a miss the last
// position of the buffer (parse() then steps past it). Text up to a tag, the tag's name, its
// attributes and its '>' are read in one turn of a loop of their own (below), not a char at a
// time through the stock states.
//
// The methods are private, so the override is checked once at load: a sample page, fed in small
// pieces, must give the same callbacks as the stock tokenizer, or the stock one is used.
import { QuoteType, Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { isSpace } from './html-space.js';
import { EMPTY_BYTES, latin1Bytes } from './latin1.js';

interface Cursor { buffer: string; bytes: Uint8Array; index: number; offset: number }

// The loops below read the chunk's chars from a byte copy of it (./latin1.ts says why). A caller
// that has the bytes already (the rewriter: its text is their latin1 decoding) hands them over
// (`nextChunkBytes`), and no copy is made.

/** Every callback a tokenizer makes. */
const CALLBACKS = ['onattribdata', 'onattribentity', 'onattribend', 'onattribname', 'oncdata', 'onclosetag', 'oncomment', 'ondeclaration',
  'onend', 'onopentagend', 'onopentagname', 'onprocessinginstruction', 'onselfclosingtag', 'ontext', 'ontextentity'] as const;

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

// Constants the loops below read are const enum members, which tsc writes into the code as
// literals: a module-level const is a context slot, loaded and type-checked at every use.

const enum Ch { Equals = 0x3d, DoubleQuote = 0x22, SingleQuote = 0x27, Lt = 0x3c, Gt = 0x3e, Slash = 0x2f, Space = 0x20 }

// The chars that end names ('/', '>' and whitespace; '=' an attribute's too), told by compares,
// not read from a table. The loops test `c > Ch.Gt` (names) or `c <= Ch.Space` (whitespace
// runs) first, so a letter is told by one compare, and call these for the rest only.
function endsTagName(c: number): boolean {
  return c === Ch.Gt || c === Ch.Slash || isSpace(c);
}

// Written out, not through endsTagName: that cost 0.4 % more instructions a corpus pass.
function endsAttributeName(c: number): boolean {
  return c === Ch.Equals || c === Ch.Gt || c === Ch.Slash || isSpace(c);
}

/** htmlparser2's QuoteType values (an enum object there, read through getters), checked at load. */
export const enum Quoted { Single = 2, Double = 3 }

// A tag name the stock state reads: the stock tokenizer goes through its whole state loop for
// every char of a name, though only the char that ends it does anything. This skips to that
// char in one loop (`index` on it) and returns it, for the stock state to report the name as
// before; or returns -1 with `index` on the chunk's last char when the name goes on in the next
// chunk. (The loops below read most names in place.)
function tagNameEnd(t: Cursor, c: number): number {
  const length = t.buffer.length;
  const bytes = t.bytes;
  let i = t.index - t.offset;
  while (c > Ch.Gt || !endsTagName(c)) {
    if (++i >= length) {
      t.index = length + t.offset - 1;
      return -1;
    }
    c = bytes[i];
  }
  t.index = i + t.offset;
  return c;
}

function inTagName(this: Machine, c: number): void {
  c = tagNameEnd(this, c);
  if (c >= 0) this.stockInTagName(c);
}

function inClosingTagName(this: Machine, c: number): void {
  c = tagNameEnd(this, c);
  if (c >= 0) this.stockInClosingTagName(c);
}

// htmlparser2 12.0's numbers of its states (a const enum there, so not exported).
const enum S { Text = 1, BeforeTagName, InTagName, InSelfClosingTag, BeforeClosingTagName, InClosingTagName, AfterClosingTagName,
  BeforeAttributeName, InAttributeName, AfterAttributeName, BeforeAttributeValue, InAttributeValueDq, InAttributeValueSq, InAttributeValueNq,
  InCommentLike = 22, SpecialStartSequence, InSpecialTag }

// The stock tokenizer's fields and states this file reads. States are called as methods of the
// tokenizer (`this.stateText(c)`): a method of an object of a known shape is a known function,
// which the optimizing compiler calls directly or inlines; a module-level const (`f.call(this,
// c)`) is loaded from the module's context and called through the generic Call builtin.
type StockStates = Record<'stateText' | 'stateBeforeTagName' | 'stateInTagName' | 'stateInSelfClosingTag' | 'stateBeforeClosingTagName'
  | 'stateInClosingTagName' | 'stateAfterClosingTagName' | 'stateBeforeAttributeName' | 'stateInAttributeName' | 'stateAfterAttributeName'
  | 'stateBeforeAttributeValue' | 'stateInAttributeValueDoubleQuotes' | 'stateInAttributeValueSingleQuotes' | 'stateInAttributeValueNoQuotes'
  | 'stateInCommentLike' | 'stateSpecialStartSequence' | 'stateInSpecialTag', (c: number) => void>;

interface Machine extends Cursor, StockStates, Sequencing {
  state: number;
  running: boolean;
  sectionStart: number;
  decodeEntities: boolean;
  xmlMode: boolean;
  cbs: TokenizerCallbacks & { isInForeignContext?: () => boolean };
  // The stock states this file replaces, still called by its own states.
  stockBeforeTagName(c: number): void;
  stockInTagName(c: number): void;
  stockInClosingTagName(c: number): void;
  stockInAttributeName(c: number): void;
  stockInSpecialTag(c: number): void;
  /** After an open tag's '>': text, or a special tag's raw text. */
  enterTagBody(): void;
}

// An open tag's attributes are most of the markup that indexOf does not skip: their names, '=',
// quoted values, the whitespace between them and the tag's '>' are read here in one run, each
// attribute straight through, with the callbacks the stock states make, at the same positions.
// Entered in one of the three states below, which a chunk may end in: the next one goes on from
// it. The state, `sectionStart` and `index` are kept in locals and written back once, where the
// run ends (the callbacks get positions as arguments): written at every step they cost 0.7 %
// more instructions a corpus pass. Anything else (a value with no quotes or none, '/', a value
// the chunk does not close, entity decoding) goes to the stock state. Leaves `index` on the
// last char it read, as a state does.
function inAttributes(this: Machine, c: number): void {
  const buffer = this.buffer;
  const bytes = this.bytes;
  const offset = this.offset;
  const last = buffer.length - 1;
  c |= 0; // an int32 from here on: the argument comes tagged, and the loops would check it at every char
  let i = this.index - offset;
  let state = this.state;
  // What the stock states keep in `sectionStart` (here in chunk offsets): the name's first char
  // in InAttributeName, the '=' in BeforeAttributeValue.
  let section = this.sectionStart - offset;
  let handOver = false; // the char at i goes to the stock state of `state`
  attributes: for (;;) {
    if (state === S.BeforeAttributeName) {
      // Loops written out here and below: through a function holding the loop they cost 2.1 %
      // more instructions a corpus pass.
      while (c <= Ch.Space && isSpace(c)) {
        if (i === last) break attributes;
        c = bytes[++i];
      }
      if (c === Ch.Gt) { // the tag ends
        this.index = i + offset;
        this.cbs.onopentagend(this.index);
        this.enterTagBody();
        this.sectionStart = this.index + 1;
        return;
      }
      if (c === Ch.Slash) {
        handOver = true;
        break;
      }
      // The name's first char, whatever it is ('=' too), is read here.
      state = S.InAttributeName;
      section = i;
      if (i === last) break;
      c = bytes[++i];
    }
    if (state === S.InAttributeName) {
      while (c > Ch.Gt || !endsAttributeName(c)) {
        if (i === last) break attributes;
        c = bytes[++i];
      }
      if (c !== Ch.Equals) {
        handOver = true;
        break;
      }
      this.cbs.onattribname(section + offset, i + offset);
      state = S.BeforeAttributeValue;
      section = i;
      // `running !== true`: one compare; `!running` tests every kind of falsy value
      if (i === last || this.running !== true) break;
      c = bytes[++i];
    }
    // BeforeAttributeValue
    while (c <= Ch.Space && isSpace(c)) {
      if (i === last) break attributes;
      c = bytes[++i];
    }
    const close = (c === Ch.DoubleQuote || c === Ch.SingleQuote) && !this.decodeEntities ? buffer.indexOf(c === Ch.DoubleQuote ? '"' : "'", i + 1) : -1;
    if (close < 0) {
      handOver = true;
      break;
    }
    this.cbs.onattribdata(i + 1 + offset, close + offset);
    this.cbs.onattribend((c === Ch.DoubleQuote ? Quoted.Double : Quoted.Single) as number as QuoteType, close + 1 + offset);
    state = S.BeforeAttributeName;
    section = -1 - offset;
    i = close;
    if (i === last || this.running !== true) break;
    c = bytes[++i];
  }
  this.index = i + offset;
  this.state = state;
  this.sectionStart = section + offset;
  if (handOver) {
    if (state === S.BeforeAttributeName) this.stateBeforeAttributeName(c);
    else if (state === S.InAttributeName) this.stockInAttributeName(c);
    else this.stateBeforeAttributeValue(c);
  }
}

// Tags whose text is raw (script, style...) or RCDATA (title, textarea): the stock tokenizer tells
// them by matching an open tag's name, case-insensitively and whole, against its sequences (the
// end tag each waits for), and its states compare those sequence objects by identity. Their names
// are listed here; the objects are read from a stock tokenizer at load (`specialTags`).
const SPECIAL_NAMES = ['iframe', 'noembed', 'noframes', 'plaintext', 'script', 'style', 'title', 'textarea', 'xmp'];

interface Special { readonly name: Uint8Array; readonly sequence: Uint8Array }

interface Sequencing { currentSequence: Uint8Array; isSpecial: boolean; sequenceIndex: number }

/** A stock tokenizer's `currentSequence` when it ends the open tag of `markup` (or undefined). */
function stockSequenceOf(markup: string): Uint8Array | undefined {
  let sequence: Uint8Array | undefined;
  const cbs = Object.fromEntries(CALLBACKS.map((name) => [name, () => {}])) as unknown as TokenizerCallbacks;
  const tokenizer = new Tokenizer({ decodeEntities: false }, { ...cbs, onopentagend: () => { sequence = (tokenizer as unknown as Sequencing).currentSequence; } });
  tokenizer.write(markup);
  return sequence;
}

/** The special tags whose text is RCDATA: it may hold entities, and the stock state does not skip it. */
const RCDATA_NAMES = ['title', 'textarea'];

/**
 * Where the special tag whose name has `length` chars and begins with the ASCII letter `first`
 * (either case) is kept: no two special tags share one. Most tag names miss on this one lookup.
 */
const specialKey = (length: number, first: number): number => (length << 5) | (first & 31);

/** Special tags by `specialKey`; the sequence of no special tag; the RCDATA ones. */
function specialTags(): { byKey: Array<Special | undefined>; none: Uint8Array; rcdata: Set<Uint8Array> } | undefined {
  const none = (new Tokenizer({ decodeEntities: false }, {} as TokenizerCallbacks) as unknown as Sequencing).currentSequence;
  if (!(none instanceof Uint8Array)) return undefined;
  const byKey: Array<Special | undefined> = [];
  const rcdata = new Set<Uint8Array>();
  for (const name of SPECIAL_NAMES) {
    const sequence = stockSequenceOf(`<${name}>`);
    if (!(sequence instanceof Uint8Array) || sequence === none || stockSequenceOf(`<${name}x>`) !== none) return undefined;
    const key = specialKey(name.length, name.charCodeAt(0));
    if (byKey[key] !== undefined) return undefined;
    byKey[key] = { name: Uint8Array.from(name, (ch) => ch.charCodeAt(0)), sequence };
    if (RCDATA_NAMES.includes(name)) rcdata.add(sequence);
  }
  return { byKey, none, rcdata };
}

const SPECIAL = specialTags();
const SPECIAL_BY_KEY = SPECIAL?.byKey ?? [];
const NO_SPECIAL = SPECIAL?.none ?? new Uint8Array(0);
const RCDATA = SPECIAL?.rcdata ?? new Set<Uint8Array>();

// A special tag's text: after each '<' the stock state reads a char a turn of the stock loop
// against the end tag's sequence ("</script"). The same steps are taken here in one loop over the
// bytes, raw text skipped to the next '<' by indexOf as the stock state does, up to a char where
// the whole sequence has matched: the stock state reads that one, and ends the text if it ends
// the tag's name. With entity decoding the stock state reads it all.
function inSpecialTag(this: Machine, c: number): void {
  const sequence = this.currentSequence;
  if (this.decodeEntities) return this.stockInSpecialTag(c);
  const skips = !RCDATA.has(sequence);
  const buffer = this.buffer;
  const bytes = this.bytes;
  const offset = this.offset;
  const last = buffer.length - 1;
  const n = sequence.length;
  c |= 0; // as in inAttributes
  let k = this.sequenceIndex;
  let i = this.index - offset;
  for (;;) {
    if (k === n) {
      if (endsTagName(c)) {
        this.index = i + offset;
        this.sequenceIndex = k;
        return this.stockInSpecialTag(c);
      }
      k = 0;
    }
    if ((c | 0x20) === sequence[k]) k++;
    else if (k !== 0) k = c === Ch.Lt ? 1 : 0;
    else if (skips) {
      i = buffer.indexOf('<', i + 1);
      if (i < 0) { // on to the chunk's end
        i = last;
        break;
      }
      k = 1;
    }
    if (i >= last) break;
    c = bytes[++i];
  }
  this.index = i + offset;
  this.sequenceIndex = k;
}

/** The sequence of `special` if the tag name at `b[from]` (as long as its name, same first letter) is its name, else the one of no special tag. */
function sequenceOfName(b: Uint8Array, from: number, special: Special): Uint8Array {
  const name = special.name;
  let i = 1;
  while (i < name.length && (b[from + i] | 0x20) === name[i]) i++;
  return i === name.length ? special.sequence : NO_SPECIAL;
}

/** One char read in `state` by its state function (stock, or one of the above); false for a state the loop below leaves to the stock loop. */
function stockStep(m: Machine, state: number, c: number): boolean {
  switch (state) {
    case S.BeforeTagName: m.stockBeforeTagName(c); break;
    case S.InTagName: m.stateInTagName(c); break;
    case S.InSelfClosingTag: m.stateInSelfClosingTag(c); break;
    case S.BeforeClosingTagName: m.stateBeforeClosingTagName(c); break;
    case S.InClosingTagName: m.stateInClosingTagName(c); break;
    case S.AfterClosingTagName: m.stateAfterClosingTagName(c); break;
    // inAttributes (installed as stateInAttributeName) reads all three
    case S.BeforeAttributeName: case S.InAttributeName: case S.BeforeAttributeValue: m.stateInAttributeName(c); break;
    case S.AfterAttributeName: m.stateAfterAttributeName(c); break;
    case S.InAttributeValueDq: m.stateInAttributeValueDoubleQuotes(c); break;
    case S.InAttributeValueSq: m.stateInAttributeValueSingleQuotes(c); break;
    case S.InAttributeValueNq: m.stateInAttributeValueNoQuotes(c); break;
    case S.InCommentLike: m.stateInCommentLike(c); break;
    case S.SpecialStartSequence: m.stateSpecialStartSequence(c); break;
    case S.InSpecialTag: m.stateInSpecialTag(c); break;
    default: return false;
  }
  return true;
}

// Text, tags, comments and script bodies, the states nearly every char of a page is read in, in
// a loop of their own. The common runs are read here whole, with the callbacks and state changes
// the stock states make, at the same positions: text up to a '<' (indexOf), and an open or end
// tag whose name ends in this chunk, its attributes (`inAttributes`) and its '>'. The stock loop
// instead picks a state for every char through a chain of comparisons, and its states read their
// constants from a mutable module variable at every compare. Anything else goes char by char to
// the stock state (or one of the above); a state this loop does not know returns to the stock
// loop, which reads that char again. Entered from the state after a '<', which no stock state
// calls: the loop is never entered twice at once. With entity decoding, XML mode or a foreign
// context callback, the stock states do all of it.
function textAndTags(this: Machine, c: number): void {
  if (this.decodeEntities || this.xmlMode || this.cbs.isInForeignContext !== undefined) return this.stockBeforeTagName(c);
  const bytes = this.bytes;
  const buffer = this.buffer;
  const offset = this.offset;
  const last = buffer.length - 1;
  c |= 0; // as in inAttributes
  let i = this.index - offset;
  for (;;) {
    let state = this.state;
    if (state === S.Text) { // up to the next '<', and on to the char after it
      if (c !== Ch.Lt) {
        i = buffer.indexOf('<', i + 1);
        if (i < 0) {
          this.index = last + offset;
          return;
        }
      }
      this.index = i + offset;
      if (this.index > this.sectionStart) this.cbs.ontext(this.sectionStart, this.index);
      this.state = state = S.BeforeTagName;
      this.sectionStart = this.index;
      if (i === last || this.running !== true) return;
      c = bytes[++i];
    }
    if (state === S.BeforeTagName) {
      // The name: an open tag's from this char, an end tag's from the next one.
      const start = c === Ch.Slash ? i + 1 : i;
      let end = start + 1;
      // tagNameEnd's loop, written out here: called, it cost 1.8 % more instructions a corpus pass.
      if (start > last || ((bytes[start] | 0x20) - 0x61) >>> 0 >= 26) end = -1; // no ASCII letter: no tag name
      else {
        while (end <= last) {
          const e = bytes[end];
          if (e <= Ch.Gt && endsTagName(e)) break;
          end++;
        }
      }
      if (end < 0 || end > last) { // not a tag, or its name goes on in the next chunk
        this.index = i + offset;
        this.stockBeforeTagName(c);
      } else if (start === i) {
        this.index = end + offset;
        const special = SPECIAL_BY_KEY[specialKey(end - start, c)];
        if (special !== undefined) {
          const sequence = sequenceOfName(bytes, start, special);
          this.isSpecial = sequence !== NO_SPECIAL;
          this.currentSequence = sequence;
          this.sequenceIndex = 0;
        }
        this.cbs.onopentagname(start + offset, end + offset);
        this.sectionStart = -1;
        this.state = S.BeforeAttributeName;
        this.stateInAttributeName(bytes[end]); // inAttributes
      } else {
        this.index = end + offset;
        this.cbs.onclosetag(start + offset, end + offset);
        this.sectionStart = -1;
        this.state = S.AfterClosingTagName;
        this.stateAfterClosingTagName(bytes[end]);
      }
    } else {
      this.index = i + offset;
      if (!stockStep(this, state, c)) {
        this.index--; // not read: the stock loop reads it again
        return;
      }
    }
    // Every state leaves `index` on the last char it read.
    i = this.index - offset;
    // `running !== true`: one compare; `!running` tests every kind of falsy value
    if (i >= last || this.running !== true) return;
    c = bytes[++i];
  }
}

/** A tokenizer that can also be handed the bytes of the chunk it is about to be written. */
export declare class LatinTokenizer extends Tokenizer {
  /** The next chunk written is `bytes` decoded as latin1: they are read instead of a copy. */
  nextChunkBytes(bytes: Uint8Array): void;
}

class IndexOfTokenizer extends Tokenizer {
  bytes: Uint8Array = EMPTY_BYTES;
  private given: Uint8Array | undefined;
  private scratch: Buffer = EMPTY_BYTES;

  nextChunkBytes(bytes: Uint8Array): void {
    this.given = bytes;
  }

  override write(chunk: string): void {
    this.bytes = this.given ?? (this.scratch = latin1Bytes(chunk, this.scratch));
    this.given = undefined;
    super.write(chunk);
  }
}

/** The stock tokenizer, should the override fail its check. */
class StockTokenizer extends Tokenizer {
  nextChunkBytes(): void {}
}

const replaced = { stateBeforeTagName: textAndTags, stateInTagName: inTagName, stateInClosingTagName: inClosingTagName, stateInAttributeName: inAttributes,
  stateInSpecialTag: inSpecialTag };
const stock = Tokenizer.prototype as unknown as Record<string, unknown>;
for (const [name, value] of Object.entries(replaced)) {
  Object.defineProperty(IndexOfTokenizer.prototype, name, { value });
  Object.defineProperty(IndexOfTokenizer.prototype, `stock${name.slice('state'.length)}`, { value: stock[name] });
}
Object.defineProperty(IndexOfTokenizer.prototype, 'fastForwardTo', { value: fastForwardTo });

const SAMPLE = '<!doctype html><p class="a" title=\'b\' data-x=c>t &amp; x<!-- c --><![CDATA[d]]>'
  + '<script>if (a < b) s = "</p>";</script><style>p{}</style><img src=/x.png><?pi?></p><br/><hr\nnoshade><x a=1 b/></x\n>'
  + '<TITLE>t<b></title><textarea>a</textarea><scripts>c</scripts><p>';

// The callbacks of the check at load, as methods of a class: the tokenizer's callback sites see
// this object and then the real callbacks (the rewriter). With constant targets for both, the
// optimizing compiler still inlines the rewriter's; the functions of a plain object are fields,
// and the sites fell back to a generic call of either (0.9 % more instructions a corpus pass;
// 0.7 % remain against no check at all). A Proxy made every callback a generic property load.
class EventLog { readonly log: string[] = []; }
for (const name of CALLBACKS) {
  Object.defineProperty(EventLog.prototype, name, { value(this: EventLog, ...args: unknown[]) { this.log.push(`${name} ${args.join()}`); } });
}

/** Every callback `T` makes on `page` fed in pieces of `chunk` chars, with its arguments, in order. */
export function tokenizerEvents(T: typeof Tokenizer, page: string, chunk: number): string[] {
  const events = new EventLog();
  const tokenizer = new T({ decodeEntities: false }, events as unknown as TokenizerCallbacks);
  for (let i = 0; i < page.length; i += chunk) tokenizer.write(page.slice(i, i + chunk));
  tokenizer.end();
  return events.log;
}

function overrideWorks(): boolean {
  if (SPECIAL === undefined || QuoteType.Single as number !== Quoted.Single || QuoteType.Double as number !== Quoted.Double) return false;
  try { return tokenizerEvents(IndexOfTokenizer, SAMPLE, 7).join(';') === tokenizerEvents(Tokenizer, SAMPLE, 7).join(';'); } catch { return false; }
}

/** The tokenizer class to use: the fast one when it behaves as the stock one. */
export const FastTokenizer: typeof LatinTokenizer = overrideWorks() ? IndexOfTokenizer : StockTokenizer;
