// Byte splicing for the CDN rewriter: the page's bytes with some spans replaced. TypeScript
// finds the edits; this copies the bytes around them into the output in one pass, without
// building a string of the page. Plain C++, no N-API.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lb {

// The input, in two parts: what an earlier chunk left (`held`), then the current chunk.
// Offsets run over both: [0, held_len) is held, [held_len, held_len + chunk_len) the chunk.
struct SpliceSource {
  const uint8_t* held;
  size_t held_len;
  const uint8_t* chunk;
  size_t chunk_len;
};

// An edit: the input [start, end) gives way to the next `text_len` bytes of the edits' texts
// (start == end: an insertion).
struct SpliceEdit {
  int32_t start;
  int32_t end;
  int32_t text_len;
};

// The length of the output of splice(), or -1 when the edits do not fit: each within
// [0, to], in order and not overlapping, their texts within texts_len, `to` within the source.
int64_t splice_length(const SpliceSource& src, size_t to, const SpliceEdit* edits, size_t count, size_t texts_len);

// Writes the input [0, to) with the edits applied to `out` (splice_length() bytes; the edits
// already checked by it). Returns the bytes written.
size_t splice(const SpliceSource& src, size_t to, const SpliceEdit* edits, size_t count, const uint8_t* texts, uint8_t* out);

}  // namespace lb
