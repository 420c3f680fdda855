#include "splice.h"

#include <string>
#include <vector>

#include "check.h"

using namespace lb;

namespace {

const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Splices `held` + `chunk` up to `to`; "" with ok = false when splice_length refuses the edits.
std::string spliced(const std::string& held, const std::string& chunk, size_t to, const std::vector<SpliceEdit>& edits,
                    const std::string& texts, bool* ok) {
  SpliceSource src{bytes(held), held.size(), bytes(chunk), chunk.size()};
  int64_t n = splice_length(src, to, edits.data(), edits.size(), texts.size());
  *ok = n >= 0;
  if (n < 0) return "";
  std::string out(static_cast<size_t>(n), '\0');
  size_t written = splice(src, to, edits.data(), edits.size(), bytes(texts), reinterpret_cast<uint8_t*>(out.data()));
  CHECK_EQ(written, static_cast<size_t>(n));
  return out;
}

}  // namespace

TEST_CASE(splice_inserts_replaces_and_keeps_every_other_byte) {
  bool ok;
  // An insertion before "/a.png" and a replacement of "http://x/" by "C/".
  std::string in = "<img src=\"/a.png\"><img src=\"http://x/b.png\">";
  std::vector<SpliceEdit> edits{{10, 10, 4}, {28, 37, 2}};
  CHECK_EQ(spliced("", in, in.size(), edits, "cdn1C/", &ok), std::string("<img src=\"cdn1/a.png\"><img src=\"C/b.png\">"));
  CHECK(ok);
  CHECK_EQ(spliced("", in, in.size(), {}, "", &ok), in);
  CHECK_EQ(spliced("", in, 0, {}, "", &ok), std::string());
}

TEST_CASE(splice_reads_across_held_and_chunk) {
  bool ok;
  // The held bytes end inside the URL; an edit spanning the seam, and one in each part.
  std::string held = "<a><img src=\"/im", chunk = "g.png\"> tail";
  std::vector<SpliceEdit> edits{{1, 2, 1}, {13, 21, 3}, {27, 27, 1}};
  CHECK_EQ(spliced(held, chunk, held.size() + chunk.size(), edits, "Bxyz!", &ok), std::string("<B><img src=\"xyz\"> tai!l"));
  CHECK(ok);
  // Up to a point inside held only.
  CHECK_EQ(spliced(held, chunk, 5, {{1, 2, 1}}, "B", &ok), std::string("<B><i"));
}

TEST_CASE(splice_length_refuses_edits_that_do_not_fit) {
  bool ok;
  std::string in = "0123456789";
  spliced("", in, 11, {}, "", &ok);
  CHECK(!ok);  // past the input
  spliced("", in, 10, {{4, 6, 0}, {5, 7, 0}}, "", &ok);
  CHECK(!ok);  // overlapping
  spliced("", in, 10, {{6, 4, 0}}, "", &ok);
  CHECK(!ok);  // end before start
  spliced("", in, 5, {{4, 6, 0}}, "", &ok);
  CHECK(!ok);  // past `to`
  spliced("", in, 10, {{1, 1, 3}}, "ab", &ok);
  CHECK(!ok);  // more text than given
  spliced("", in, 10, {{1, 1, -1}}, "ab", &ok);
  CHECK(!ok);  // negative text length
  spliced("", in, 10, {{-1, 1, 0}}, "", &ok);
  CHECK(!ok);  // before the input
  CHECK_EQ(spliced("", in, 10, {{2, 2, 1}, {2, 3, 1}}, "ab", &ok), std::string("01ab3456789"));
  CHECK(ok);  // an insertion then a replacement at the same offset
}
