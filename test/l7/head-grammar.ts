// Request and response heads for the differential tests: a grammar aimed at framing and request
// smuggling (the framing fields' values, and the syntax around them broken), and ordinary heads.
import fc from 'fast-check';

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

const tokenChars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&*+.^`|~'.split('');
const randomName = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 12 });
const randomValue = fc.string({ unit: fc.constantFrom(...'abc xyz/;=,"0123\t:'.split('')), maxLength: 20 });

const contentLengthValue = pick('0', '1', '3', '5', '10', '05', '007', '00', '+5', '-5', '-0', '5, 5', '5,5', '5,6', '5 ,5', ' 5 , 5 ', '5,,5', ',5', '5,',
  '5 5', '5\t', '\t5', '', ' ', '0x5', '5.0', '1e3', '"5"', '5;', '99999999999999999999', '123456789012345', '1000000000000000', '100000', '٥');
const transferEncodingValue = pick('chunked', 'Chunked', 'CHUNKED', 'cHuNkEd', ' chunked', 'chunked ', 'chunked\t', 'chunked,', ',chunked', ', chunked ,',
  'chunked, chunked', 'chunked, identity', 'identity, chunked', 'identity', 'gzip, chunked', 'gzip', 'xchunked', 'chunkedx', 'chunked;q=1', '"chunked"',
  'chun ked', 'chunked chunked', '', ',', 'chunked\x0b');
const connectionValue = pick('close', 'keep-alive', 'Keep-Alive', 'CLOSE', 'upgrade', 'Upgrade', 'close, keep-alive', 'keep-alive, close', 'keep-alive, upgrade',
  'Upgrade, close', 'x-foo', 'x-foo, close', '', 'closed', 'keep-alives', ',,close', 'close,upgrade', 'keep-alive,Upgrade', ' upgrade ', 'te', 'content-length', 'close, Transfer-Encoding');
const framingName = pick('Content-Length', 'content-length', 'CONTENT-LENGTH', 'Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING');

/** A field line's parts: the line is name + beforeColon + ':' + ows + value + ows + end (+ fold). */
interface Field { name: string; beforeColon: string; ows: string; value: string; trailingOws: string; end: string; fold: string }

const fieldLine = (f: Field) => `${f.name}${f.beforeColon}:${f.ows}${f.value}${f.trailingOws}${f.end}${f.fold}`;

/**
 * The first line, the field lines, then the empty line; the line before the empty one always ends
 * in CRLF, so that the head is complete (odd line ends are tried everywhere else).
 */
function headText(first: { text: string; end: string }, fields: Field[]): string {
  if (fields.length === 0) return `${first.text}\r\n\r\n`;
  const lines = fields.map((f, i) => fieldLine(i === fields.length - 1 && f.fold === '' ? { ...f, end: '\r\n' } : f));
  return `${first.text}${first.end}${lines.join('')}\r\n`;
}

/** A byte a head must not hold (or may only hold in a value), put somewhere in a name or value. */
const oddByte = pick('\x00', '\x01', '\x0b', '\x0c', '\x7f', '\r', '\n', '\x80', '\xff', ' ', '\t', '(', '"', '@');
const withOddByte = (s: fc.Arbitrary<string>) => fc.tuple(s, oddByte, fc.nat()).map(([v, b, at]) => {
  const i = v.length === 0 ? 0 : at % (v.length + 1);
  return v.slice(0, i) + b + v.slice(i);
});

/**
 * The heads of one grammar. Both grammars try every framing value above (the smuggling vectors
 * are in the values: signs, lists, codings, tokens); the `odd` one also breaks the syntax around
 * them (whitespace before the colon, obs-fold, bare CR or LF, odd bytes, odd request and status
 * lines), where most heads are refused, so the plain one keeps accepted heads common.
 */
function grammar(odd: boolean): { request: fc.Arbitrary<string>; response: fc.Arbitrary<string> } {
  /** `usual` in the plain grammar; in the odd one, mostly `usual` and sometimes one of `others`. */
  const mostly = <T>(usual: T, ...others: T[]) => (odd ? fc.oneof({ weight: 5, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) }) : fc.constant(usual));
  const sometimesOdd = (s: fc.Arbitrary<string>) => (odd ? fc.oneof({ weight: 6, arbitrary: s }, { weight: 1, arbitrary: withOddByte(s) }) : s);
  /** Weighted choices of which the odd ones count only in the odd grammar. */
  const choose = <T>(usual: Array<fc.WeightedArbitrary<T>>, others: Array<fc.WeightedArbitrary<T>>) => fc.oneof(...usual, ...(odd ? others : []));

  const field = (name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<Field> => fc.record({
    name: sometimesOdd(name), value: sometimesOdd(value),
    beforeColon: mostly('', ' ', '\t'),
    // OWS (SP or HTAB) is valid around a value: both grammars vary it.
    ows: pick(' ', ' ', ' ', '', '  ', '\t'),
    trailingOws: pick('', '', '', ' ', '\t'),
    end: mostly('\r\n', '\n', '\r'),
    // An obs-fold continuation line (RFC 9112 5.2).
    fold: mostly('', ' folded\r\n', '\tchunked\r\n', ' \r\n'),
  });
  const badNames = { weight: 1, arbitrary: field(pick('', ' ', 'Host '), randomValue) };

  const requestFields = choose<Field>([
    { weight: 4, arbitrary: field(pick('Content-Length', 'content-length', 'CONTENT-LENGTH', 'Content_Length'), contentLengthValue) },
    { weight: 4, arbitrary: field(pick('Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING', 'Transfer_Encoding'), transferEncodingValue) },
    { weight: 3, arbitrary: field(pick('Connection', 'connection', 'Proxy-Connection'), connectionValue) },
    { weight: 1, arbitrary: field(pick('Upgrade', 'upgrade'), pick('websocket', 'h2c', '')) },
    { weight: 1, arbitrary: field(pick('Host', 'host'), pick('a', 'b.example:8080', '', 'a b')) },
    { weight: 1, arbitrary: field(framingName, fc.oneof(contentLengthValue, transferEncodingValue)) },
    { weight: 4, arbitrary: field(randomName, randomValue) },
  ], [badNames]);
  const method = choose([{ weight: 8, arbitrary: pick('GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH') }],
    [{ weight: 1, arbitrary: pick('get', 'Get', 'FOO', 'M-SEARCH', 'PURGE', 'CONNECT', 'PRI', 'G(T', 'GET\x00', 'POSTX', '') }]);
  const target = choose([
    { weight: 6, arbitrary: pick('/', '/a?b=c', '/p/q.html', 'http://a.example/b', '*') },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'abc/?=&%.-_~;:@!$\'()*+,'.split('')), maxLength: 15 }).map((s) => `/${s}`) },
  ], [{ weight: 1, arbitrary: pick('x', '/a#f', '/a b', '/\x7f', '/\xe9', '/\x00', '//', '/a?b=c d', 'a.example:443', '/%00', '/{x}|', '') }]);
  const version = choose([{ weight: 8, arbitrary: pick('HTTP/1.1', 'HTTP/1.0') }],
    [{ weight: 1, arbitrary: pick('HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'http/1.1', 'HTTP/1.10', 'HTTP/1', 'HTTP/11', 'HTTP/1.1 ', 'HTTP/9.9', 'HTTP/1,1', '') }]);
  const requestLine = fc.record({
    // Empty lines before a request line are ignored (RFC 9112 2.2): both grammars send some.
    leading: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: odd ? pick('\r\n', '\r\n\r\n', '\n') : pick('\r\n', '\r\n\r\n') }),
    method, target, version,
    sp1: mostly(' ', '  ', '\t', ''),
    sp2: mostly(' ', '  ', '\t', ''),
    end: mostly('\r\n', '\n', '\r', ' \r\n'),
  }).map((l) => ({ text: `${l.leading}${l.method}${l.sp1}${l.target}${l.sp2}${l.version}`, end: l.end }));
  const hostField = fc.oneof(
    { weight: 8, arbitrary: fc.constant<Field[]>([{ name: 'Host', beforeColon: '', ows: ' ', value: 'a', trailingOws: '', end: '\r\n', fold: '' }]) },
    { weight: 1, arbitrary: fc.constant<Field[]>([]) },
  );
  // A request head: its line, maybe a Host first, then fields, in the order generated.
  const request = fc.tuple(requestLine, hostField, fc.array(requestFields, { maxLength: 6 }))
    .map(([line, host, fields]) => headText(line, [...host, ...fields]));

  const statusLine = fc.record({
    version: choose([{ weight: 8, arbitrary: pick('HTTP/1.1', 'HTTP/1.0') }], [{ weight: 1, arbitrary: pick('HTTP/2', 'HTTP/1.2', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1') }]),
    status: choose([{ weight: 8, arbitrary: pick('200', '204', '304', '404', '500', '301', '100', '101', '103') }],
      [{ weight: 1, arbitrary: pick('199', '099', '2000', '20', '2x0', '600', '999', '') }]),
    reason: choose([{ weight: 1, arbitrary: pick(' OK', '', ' ', ' Not Found Here', ' caf\xe9') }], [{ weight: 1, arbitrary: pick(' O\x01K', '\tOK', ' OK\r') }]),
    end: mostly('\r\n', '\n', '\r'),
  }).map((l) => ({ text: `${l.version} ${l.status}${l.reason}`, end: l.end }));
  const responseFields = choose<Field>([
    { weight: 4, arbitrary: field(pick('Content-Length', 'content-length'), contentLengthValue) },
    { weight: 4, arbitrary: field(pick('Transfer-Encoding', 'transfer-encoding'), transferEncodingValue) },
    { weight: 3, arbitrary: field(pick('Connection', 'connection'), connectionValue) },
    { weight: 1, arbitrary: field(pick('Upgrade'), pick('websocket', '')) },
    { weight: 1, arbitrary: field(pick('Set-Cookie', 'Location', 'Keep-Alive'), randomValue) },
    { weight: 4, arbitrary: field(randomName, randomValue) },
  ], [badNames]);
  const response = fc.tuple(statusLine, fc.array(responseFields, { maxLength: 6 })).map(([line, fields]) => headText(line, fields));
  return { request, response };
}

const plain = grammar(false);
const broken = grammar(true);
export const requestHead = fc.oneof(plain.request, broken.request);
export const responseHead = fc.oneof(plain.response, broken.response);
