// Byte classes of HTTP/1.1 (RFC 9110 5.5, 5.6.2, 5.6.4), one table each (1: in the class), for
// the head parser and the chunked scanner alike; and the value of a hex digit.

/** tchar: the characters of a token (field names, methods, extension names). */
export const TOKEN_CHARS = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_CHARS[c.charCodeAt(0)] = 1;

/** What a field value may hold (and a quoted-pair escape): HTAB, SP, visible characters, obs-text. */
export const FIELD_TEXT_CHARS = new Uint8Array(256);
FIELD_TEXT_CHARS.fill(1, 32, 127);
FIELD_TEXT_CHARS.fill(1, 128, 256);
FIELD_TEXT_CHARS[9] = 1;

/** qdtext: field text less '"' and '\' (inside a quoted-string). */
export const QDTEXT_CHARS = FIELD_TEXT_CHARS.slice();
QDTEXT_CHARS[0x22] = 0;
QDTEXT_CHARS[0x5c] = 0;

/** The value of each hex digit's char code below 128, -1 for any other. */
export const HEX_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) { HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i; HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i; }
