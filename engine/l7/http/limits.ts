// Size limits of a request or response head; defaults follow common servers (8 KiB lines, 64 headers).
export interface HeadLimits {
  /** Longest request line, status line or header line, in bytes. */
  maxLineBytes: number;
  /** Largest whole head (request line, headers, final CRLF), in bytes. */
  maxHeaderBytes: number;
  /** Most header fields in one head. */
  maxHeaderCount: number;
}

export const defaultHeadLimits: HeadLimits = { maxLineBytes: 8192, maxHeaderBytes: 16384, maxHeaderCount: 64 };
