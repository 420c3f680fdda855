// What a persistence method does for the proxy: remember a server for a request, record the
// choice, learn from responses. Implementations: cookie injection, session ID, client address.
import type { RequestHead, ResponseHead } from '../http/parser.js';

export interface Persistence {
  /** The server remembered for this request, or -1. */
  lookup(req: RequestHead, clientAddress: string): number;
  /** Records the server chosen for the request; returns header lines to add to the response ('' for none). */
  chosen(req: RequestHead, clientAddress: string, server: number): string;
  /** Learns from a response of `server` (session IDs). */
  learn(res: ResponseHead, server: number): void;
}
