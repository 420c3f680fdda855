// Node's own HTTP/1.1 parser (llhttp, through node's internal binding) as a second, independent
// reader of the bytes lbarray parses: what it frames as messages, for the differential tests.
// Initialised as node's http server and client do it by default: strict (no lenient flags).
import { createRequire } from 'node:module';

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  finish(): undefined | (Error & { code?: string });
  close(): void;
  [callback: number]: unknown;
}
interface LlhttpClass {
  new (): LlhttpParser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser: LlhttpClass; methods: string[] };
const HTTPParser = common.HTTPParser;
/** The methods llhttp knows: it refuses any other token (RFC 9110 9.1 allows any). */
export const llhttpMethods: ReadonlySet<string> = new Set(common.methods);

/** One message llhttp read: what its on-headers-complete callback was given, then its body. */
export interface LlMessage {
  url: string;
  status: number;
  upgrade: boolean;
  shouldKeepAlive: boolean;
  bodyBytes: number;
  complete: boolean;
}

export interface LlResult {
  messages: LlMessage[];
  /** llhttp's error code (HPE_...) when it refused the bytes; undefined when it read them all. */
  error: string | undefined;
  /** What execute() returned when it stopped without an error (all the bytes, or where an upgrade's tunnel begins). */
  parsed: number;
  /** Messages complete before finish() was called (a body read until close completes only at finish). */
  completeBeforeFinish: number;
}

/**
 * Feeds `bytes` to a fresh llhttp parser of `kind` in one execute(); with `finish`, then tells it
 * the peer closed. The callbacks are node 20's: on-headers-complete gets (major, minor, headers,
 * method, url, statusCode, statusMessage, upgrade, shouldKeepAlive); url comes through on-headers
 * when the head spans executes, never here (one execute), or after a trailer section flushed fields.
 */
export function llhttpRead(kind: 'request' | 'response', bytes: Buffer, finish = false): LlResult {
  const parser = new HTTPParser();
  parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, HTTPParser.kLenientNone);
  const messages: LlMessage[] = [];
  let current: LlMessage | undefined;
  // Once node's binding has flushed fields early (trailers do), it hands later heads' URLs over
  // through on-headers, not on-headers-complete.
  let flushedUrl = '';
  parser[HTTPParser.kOnHeaders] = (_headers: string[], url: string) => { flushedUrl += url; };
  parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, _headers: string[], _method: number, url: string | undefined,
    status: number | undefined, _reason: string, upgrade: boolean, shouldKeepAlive: boolean) => {
    current = { url: url || flushedUrl, status: status ?? 0, upgrade, shouldKeepAlive, bodyBytes: 0, complete: false };
    flushedUrl = '';
    messages.push(current);
    return 0; // 0: the body (if any) follows; 1 would say "answer to HEAD, no body"
  };
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => { current!.bodyBytes += chunk.length; };
  parser[HTTPParser.kOnMessageComplete] = () => { current!.complete = true; flushedUrl = ''; }; // a trailers flush repeats the URL
  try {
    const r = parser.execute(bytes);
    const completeBeforeFinish = messages.filter((m) => m.complete).length;
    if (typeof r !== 'number') return { messages, error: r.code ?? 'error', parsed: r.bytesParsed ?? -1, completeBeforeFinish };
    const f = finish ? parser.finish() : undefined;
    return { messages, error: f === undefined ? undefined : f.code ?? 'error', parsed: r, completeBeforeFinish };
  } finally {
    parser.close();
  }
}
