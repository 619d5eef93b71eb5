#include "common/bytes.hpp"

#include <gtest/gtest.h>

namespace trustmon {
namespace {

TEST(Hex, RoundTripAndSeparators) {
  Bytes b{0x00, 0xab, 0x10, 0xff};
  EXPECT_EQ(hex_encode(b), "00ab10ff");
  EXPECT_EQ(hex_encode(b, true), "00AB10FF");
  EXPECT_EQ(hex_decode("00AB10ff"), b);
  EXPECT_EQ(hex_decode("00:ab:10:ff"), b);
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(Base64, KnownVectors) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff}), "-_8");
  EXPECT_EQ(as_chars(*base64_decode("Zm9vYg==")), "foob");
  EXPECT_EQ(as_chars(*base64_decode("Zm9vYg")), "foob");  // padding optional
  EXPECT_EQ(*base64_decode("-_8"), (Bytes{0xfb, 0xff}));
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Zg==Zg"));  // data after padding
  EXPECT_FALSE(base64_decode("Z"));       // a lone sextet encodes nothing
  EXPECT_FALSE(base64_decode("Zh=="));    // non-canonical trailing bits
  EXPECT_FALSE(base64_decode("Zm 9v"));
  EXPECT_EQ(as_chars(*base64_decode_lenient("Zm\n9v\r\n")), "foo");
}

// The strict decoder takes whole groups of four at a time before its last four characters;
// on text without white space it must agree with the lenient one, which goes character by
// character: random text over the alphabets, '=' and a stray character, every length to 40.
TEST(Base64, GroupsOfFourAgreeWithTheCharacterLoop) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=!";
  std::uint32_t seed = 12345;
  const auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const std::size_t len = next() % 41;
    // Mostly valid text (the fast path runs), sometimes padded, sometimes broken anywhere.
    for (std::size_t i = 0; i < len; ++i) text += alphabet[next() % 64];
    if (next() % 3 == 0 && !text.empty()) text[next() % text.size()] = alphabet[64 + next() % 4];
    if (next() % 4 == 0) text += next() % 2 ? "=" : "==";
    const auto strict = base64_decode(text);
    const auto lenient = base64_decode_lenient(text);
    ASSERT_EQ(strict.has_value(), lenient.has_value()) << text;
    if (strict) {
      EXPECT_EQ(*strict, *lenient) << text;
      ++decoded;
    }
  }
  EXPECT_GT(decoded, 5000);  // the comparison saw plenty of valid text, not only refusals
  // A decode into a buffer too small for the groups is refused, not overrun.
  std::uint8_t small[3];
  EXPECT_FALSE(base64_decode_to("Zm9vYmFyYmF6", small, sizeof small));
  EXPECT_EQ(base64_decode_to("Zm9v", small, sizeof small), std::optional<std::size_t>(3));
}

// The check accepts exactly what the lenient decoder accepts and counts the same bytes.
TEST(Base64, CheckAgreesWithTheLenientDecoder) {
  for (std::string_view text : {"", "Zg==", "Zm8=", "Zm9v\nYmFy", "Zm\n9v\r\n", "Zm9v!", "Zg==Zg", "Z", "Zh==", "Zm 9v",
                                "MIIB*&^%$"}) {
    auto decoded = base64_decode_lenient(text);
    auto checked = base64_check_lenient(text);
    ASSERT_EQ(decoded.has_value(), checked.has_value()) << text;
    if (decoded) {
      EXPECT_EQ(decoded->size(), *checked) << text;
    }
  }
  EXPECT_FALSE(base64_check_lenient("Zm9v!"));
  EXPECT_EQ(base64_check_lenient("Zm9vYmFy"), 6u);
}

TEST(Percent, Decode) {
  EXPECT_EQ(*percent_decode("a%2Bb%2fc+d"), "a+b/c+d");
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("abc%"));
}

TEST(DecodeTo, WritesIntoTheBufferAndRespectsItsSize) {
  char text[8];
  auto n = percent_decode_to("a%2Fb", text, sizeof text);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string_view(text, *n), "a/b");
  EXPECT_FALSE(percent_decode_to("abcdefghi", text, sizeof text));  // does not fit
  std::uint8_t der[4];
  auto m = base64_decode_to("Zm9vYg==", der, sizeof der);
  ASSERT_TRUE(m);
  EXPECT_EQ(as_chars(ByteView(der, *m)), "foob");
  EXPECT_FALSE(base64_decode_to("Zm9vYmFy", der, sizeof der));  // 6 bytes into 4
  EXPECT_FALSE(base64_decode_to("Zm9v!", der, sizeof der));
}

TEST(BigEndian, RoundTrip) {
  std::uint8_t buf[8];
  put_be64(buf, 0x0102030405060708ull);
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[7], 8);
  EXPECT_EQ(get_be64(buf), 0x0102030405060708ull);
  put_be32(buf, 0xdeadbeef);
  EXPECT_EQ(get_be32(buf), 0xdeadbeefu);
}

}  // namespace
}  // namespace trustmon
