// Short, clear responses of the proxy's own (errors, redirects), built once. Errors that leave the
// framing unknown close the connection; the others keep it alive.
const REASONS: Record<number, string> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 408: 'Request Timeout', 413: 'Content Too Large', 414: 'URI Too Long', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};
const EXPLAIN: Record<number, string> = {
  400: 'The request could not be understood.', 408: 'The request did not arrive in time.', 414: 'The request line is too long.',
  413: 'The request body is larger than this server accepts.', 429: 'Too many requests from this address: slow down.',
  431: 'The request headers are too large.', 501: 'The request uses a feature this proxy does not support.',
  502: 'The back-end server failed to answer properly.', 503: 'No back-end server is available.',
  504: 'The back-end server did not answer in time.', 505: 'The HTTP version is not supported.',
};

const cache = new Map<string, Buffer>();

/** A response with a short text body: `fields` (CRLF-terminated lines) go after the framing ones. */
export function plainResponse(status: number, fields: string, detail: string, close: boolean): Buffer {
  const reason = REASONS[status] ?? 'Error';
  const body = `${status} ${reason}\n${detail}\n`;
  return Buffer.from(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`
    + `${fields}${close ? 'Connection: close\r\n' : ''}\r\n${body}`, 'latin1');
}

/** `retryAfter`: seconds for a Retry-After header (429, 503). */
export function errorPage(status: number, close: boolean, retryAfter?: number): Buffer {
  const key = `${status}/${close}/${retryAfter}`;
  let page = cache.get(key);
  if (page === undefined) {
    page = plainResponse(status, `Cache-Control: no-store\r\n${retryAfter !== undefined ? `Retry-After: ${retryAfter}\r\n` : ''}`, EXPLAIN[status] ?? '', close);
    cache.set(key, page);
  }
  return page;
}
