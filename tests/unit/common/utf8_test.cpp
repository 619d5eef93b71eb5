#include "common/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace trustmon {
namespace {

std::string octets(std::initializer_list<int> v) {
  std::string s;
  for (int c : v) s.push_back(static_cast<char>(c));
  return s;
}

// The canonical (shortest) encoding of a code point, written independently of utf8.cpp.
std::string encode(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
  return s;
}

// Reference: a sequence of n octets is one valid character when it has the n-octet bit
// pattern and re-encoding its value gives the same octets (no overlong) and the value is
// a scalar value (no surrogate, <= U+10FFFF).
bool reference_valid_char(const std::string& s) {
  const auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::size_t n = s.size();
  std::uint32_t cp = 0;
  if (n == 1 && b(0) < 0x80) return true;
  if (n == 2 && (b(0) & 0xe0) == 0xc0) cp = b(0) & 0x1f;
  else if (n == 3 && (b(0) & 0xf0) == 0xe0) cp = b(0) & 0x0f;
  else if (n == 4 && (b(0) & 0xf8) == 0xf0) cp = b(0) & 0x07;
  else return false;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  return encode(cp) == s;
}

TEST(Utf8, Rfc3629Table) {
  // Well-formed: the boundaries of every row of the table.
  for (const auto& s : {octets({0x00}), octets({0x7f}), octets({0xc2, 0x80}), octets({0xdf, 0xbf}),
                        octets({0xe0, 0xa0, 0x80}), octets({0xe0, 0xbf, 0xbf}), octets({0xe1, 0x80, 0x80}),
                        octets({0xec, 0xbf, 0xbf}), octets({0xed, 0x80, 0x80}), octets({0xed, 0x9f, 0xbf}),
                        octets({0xee, 0x80, 0x80}), octets({0xef, 0xbf, 0xbf}), octets({0xf0, 0x90, 0x80, 0x80}),
                        octets({0xf0, 0xbf, 0xbf, 0xbf}), octets({0xf1, 0x80, 0x80, 0x80}),
                        octets({0xf3, 0xbf, 0xbf, 0xbf}), octets({0xf4, 0x80, 0x80, 0x80}),
                        octets({0xf4, 0x8f, 0xbf, 0xbf}), std::string("Київ"), std::string("a\xe2\x80\x99z")})
    EXPECT_TRUE(utf8_valid(s)) << s;
  EXPECT_TRUE(utf8_valid(""));
}

TEST(Utf8, IllFormed) {
  const std::pair<const char*, std::string> cases[] = {
      {"C0 overlong NUL", octets({0xc0, 0x80})},
      {"C1 overlong", octets({0xc1, 0xbf})},
      {"E0 overlong", octets({0xe0, 0x9f, 0xbf})},
      {"F0 overlong", octets({0xf0, 0x8f, 0xbf, 0xbf})},
      {"surrogate D800", octets({0xed, 0xa0, 0x80})},
      {"surrogate DFFF", octets({0xed, 0xbf, 0xbf})},
      {"surrogate pair (CESU-8)", octets({0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80})},
      {"above U+10FFFF", octets({0xf4, 0x90, 0x80, 0x80})},
      {"F5", octets({0xf5, 0x80, 0x80, 0x80})},
      {"F7 97 8B (the D4 SAN)", octets({'a', 0xf7, 0x97, 0x8b, 't'})},
      {"F8 five-octet form", octets({0xf8, 0x88, 0x80, 0x80, 0x80})},
      {"FC six-octet form", octets({0xfc, 0x84, 0x80, 0x80, 0x80, 0x80})},
      {"FE", octets({0xfe})},
      {"FF", octets({0xff})},
      {"lone continuation", octets({0x80})},
      {"continuation after ASCII", octets({'a', 0xbf})},
      {"truncated 2", octets({0xc3})},
      {"truncated 3", octets({0xe2, 0x80})},
      {"truncated 4", octets({0xf0, 0x9f, 0x98})},
      {"truncated then ASCII", octets({0xe2, 0x80, 'a'})},
      {"bad continuation", octets({0xc3, 0x28})},
  };
  for (const auto& [name, s] : cases) EXPECT_FALSE(utf8_valid(s)) << name;
}

TEST(Utf8, EveryScalarValueRoundTrips) {
  for (std::uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
    const std::string s = encode(cp);
    const Utf8Step st = utf8_step(s, 0);
    const bool scalar = !(cp >= 0xd800 && cp <= 0xdfff);
    ASSERT_EQ(st.valid, scalar) << std::hex << cp;
    if (scalar) {
      ASSERT_EQ(st.length, s.size()) << std::hex << cp;
      ASSERT_EQ(static_cast<std::uint32_t>(st.code_point), cp) << std::hex << cp;
      std::string encoded;
      append_utf8(encoded, static_cast<char32_t>(cp));
      ASSERT_EQ(encoded, s) << std::hex << cp;
    }
  }
}

TEST(Utf8, AgreesWithReferenceOnEveryShortSequence) {
  // All one-, two- and three-octet strings, and four-octet strings over every lead octet
  // with the interesting continuation values.
  std::string s;
  for (int a = 0; a < 256; ++a) {
    s = octets({a});
    ASSERT_EQ(utf8_valid(s), reference_valid_char(s)) << a;
    for (int b = 0; b < 256; ++b) {
      s = octets({a, b});
      const bool ref2 = reference_valid_char(s) || (reference_valid_char(octets({a})) && reference_valid_char(octets({b})));
      ASSERT_EQ(utf8_valid(s), ref2) << a << " " << b;
      if (a < 0xe0 || a > 0xef) continue;
      for (int c = 0; c < 256; ++c) {
        s = octets({a, b, c});
        // A lead E0..EF starts a three-octet sequence or nothing valid.
        ASSERT_EQ(utf8_valid(s), reference_valid_char(s)) << a << " " << b << " " << c;
      }
    }
  }
  const int edges[] = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
  for (int a = 0xf0; a < 0x100; ++a)
    for (int b : edges)
      for (int c : edges)
        for (int d : edges) {
          s = octets({a, b, c, d});
          ASSERT_EQ(utf8_valid(s), reference_valid_char(s)) << a << " " << b << " " << c << " " << d;
        }
}

TEST(Utf8, SanitizeReplacesMaximalSubparts) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(utf8_sanitize("plain ascii"), "plain ascii");
  EXPECT_EQ(utf8_sanitize("Київ"), "Київ");
  // F7 is never a lead octet, so each of F7 97 8B is its own subpart.
  EXPECT_EQ(utf8_sanitize(octets({'a', 0xf7, 0x97, 0x8b, 'b'})), "a" + fffd + fffd + fffd + "b");
  // A truncated three-octet sequence is one subpart.
  EXPECT_EQ(utf8_sanitize(octets({'a', 0xe2, 0x80, 'b'})), "a" + fffd + "b");
  // ED A0 is not a prefix of a well-formed sequence (A0 > 9F): ED alone, then A0, then 80.
  EXPECT_EQ(utf8_sanitize(octets({0xed, 0xa0, 0x80})), fffd + fffd + fffd);
  EXPECT_EQ(utf8_sanitize(octets({0xff, 0xfe})), fffd + fffd);
  EXPECT_TRUE(utf8_valid(utf8_sanitize(octets({0xc0, 0xaf, 0xf4, 0x90, 0x80, 0x80, 0xe0, 0x80}))));
  std::string out = "x";
  append_utf8_sanitized(out, octets({0xc3}));
  EXPECT_EQ(out, "x" + fffd);
}

TEST(Utf8, JsonStringsAreStrictJsonWhateverTheOctets) {
  const auto json = [](std::string_view s) {
    std::string out = "x";
    append_json_string(out, s);
    return out;
  };
  EXPECT_EQ(json("plain"), "x\"plain\"");
  EXPECT_EQ(json("say \"hi\"\n\\"), R"(x"say \"hi\"\n\\")");
  EXPECT_EQ(json(octets({'\b', '\f', '\r', '\t', 0x01, 0x1f, 0x7f})), R"(x"\b\f\r\t\u0001\u001f)" "\x7f\"");
  EXPECT_EQ(json("Іван"), "x\"Іван\"");
  // An F7 lead octet, a lone continuation and a truncated sequence: U+FFFD each.
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(json(octets({'a', 0xf7, 0x97, 0x8b, 'b', 0x80, 0xe2, 0x80})),
            "x\"a" + fffd + fffd + fffd + "b" + fffd + fffd + "\"");
}

}  // namespace
}  // namespace trustmon
