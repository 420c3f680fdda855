// Request IDs (proxy.requestId; nginx's $request_id, HAProxy's unique-id-header): every request
// gets an ID that the back-end receives in a header, the client gets back in the response, and
// the access log records, so one request can be followed through every log it touches.
// An ID is 32 hex digits, as nginx's: a random 64-bit prefix per proxy (each worker, each start)
// and a counter. Unique without a random draw per request.
import { randomBytes } from 'node:crypto';
import { fieldValue, type HeadFields } from './http/parser.js';

export interface RequestIdOptions {
  /** The field that carries the ID both ways. */
  header: string;
  /** Keep the ID a client (or a proxy in front) sent, when it is well formed; else always a new one. */
  keepClient: boolean;
}

// What a kept ID may look like: visible ASCII without spaces, commas or quotes, at most 128 chars.
const WELL_FORMED = /^[!#-+\--~]{1,128}$/;

export class RequestIds {
  readonly header: string;
  private readonly lower: string;
  private readonly prefix = randomBytes(8).toString('hex');
  private count = 0;

  constructor(private readonly options: RequestIdOptions) {
    this.header = options.header;
    this.lower = options.header.toLowerCase();
  }

  /** The ID of the request whose head is `h`. */
  of(h: HeadFields): string {
    if (this.options.keepClient) {
      const sent = fieldValue(h, this.lower);
      if (sent !== undefined && WELL_FORMED.test(sent)) return sent;
    }
    return this.prefix + (this.count++).toString(16).padStart(16, '0');
  }
}
