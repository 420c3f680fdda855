#include "splice.h"

#include <cstring>

namespace lb {

namespace {

// Copies the input [from, to) (which may straddle held and chunk) to out.
uint8_t* copy_input(const SpliceSource& src, size_t from, size_t to, uint8_t* out) {
  if (from < src.held_len) {
    size_t end = to < src.held_len ? to : src.held_len;
    std::memcpy(out, src.held + from, end - from);
    out += end - from;
    from = end;
  }
  if (from < to) {
    std::memcpy(out, src.chunk + (from - src.held_len), to - from);
    out += to - from;
  }
  return out;
}

}  // namespace

int64_t splice_length(const SpliceSource& src, size_t to, const SpliceEdit* edits, size_t count, size_t texts_len) {
  if (to > src.held_len + src.chunk_len) return -1;
  int64_t length = static_cast<int64_t>(to);
  int64_t pos = 0;
  uint64_t texts = 0;
  for (size_t i = 0; i < count; ++i) {
    const SpliceEdit& e = edits[i];
    if (e.start < pos || e.end < e.start || static_cast<uint64_t>(e.end) > to || e.text_len < 0) return -1;
    texts += static_cast<uint64_t>(e.text_len);
    if (texts > texts_len) return -1;
    length += e.text_len - (e.end - e.start);
    pos = e.end;
  }
  return length;
}

size_t splice(const SpliceSource& src, size_t to, const SpliceEdit* edits, size_t count, const uint8_t* texts, uint8_t* out) {
  uint8_t* const begin = out;
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    const SpliceEdit& e = edits[i];
    out = copy_input(src, pos, static_cast<size_t>(e.start), out);
    std::memcpy(out, texts, static_cast<size_t>(e.text_len));
    out += e.text_len;
    texts += e.text_len;
    pos = static_cast<size_t>(e.end);
  }
  out = copy_input(src, pos, to, out);
  return static_cast<size_t>(out - begin);
}

}  // namespace lb
