// common/pem: blocks, labels and the ways a block can be broken, read through OpenSSL.
#include "common/pem.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>
#include <vector>

namespace trustmon::pem {
namespace {

struct Seen {
  Next next;
  std::string label;
  Bytes der;
  Problem problem = Problem::none;
};

std::vector<Seen> read_all(std::string_view text, std::size_t max_bytes = kMaxInputBytes) {
  std::vector<Seen> out;
  Reader reader(text, max_bytes);
  for (;;) {
    Block b;
    const Next n = reader.next(b);
    if (n == Next::end) break;
    if (n == Next::block)
      out.push_back({n, std::string(b.label()), to_bytes(b.der()), Problem::none});
    else
      out.push_back({n, std::string(reader.failure().label), {}, reader.failure().problem});
    if (out.size() > 10) break;  // a reader that never ends fails the test, not the run
  }
  return out;
}

TEST(Pem, BlocksInOrderWithTextAroundThem) {
  const auto seen = read_all(
      "junk before\n"
      "-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n"
      "between\n"
      "-----BEGIN X509 CRL-----\r\nBQY=\r\n-----END X509 CRL-----\r\n"
      "after");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].next, Next::block);
  EXPECT_EQ(seen[0].label, "CERTIFICATE");
  EXPECT_EQ(seen[0].der, (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(seen[1].label, "X509 CRL");
  EXPECT_EQ(seen[1].der, (Bytes{5, 6}));
}

TEST(Pem, LongLinesAndNoFinalNewline) {
  const Bytes der(1000, 0xa5);
  const auto seen =
      read_all("-----BEGIN CERTIFICATE-----\n" + base64_encode(der) + "\n-----END CERTIFICATE-----");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].der, der);
}

TEST(Pem, NoBlocksIsTheEnd) {
  EXPECT_TRUE(read_all("").empty());
  EXPECT_TRUE(read_all("nothing here\n").empty());
  EXPECT_TRUE(read_all(std::string_view("\x30\x03\x02\x01\x01", 5)).empty());
}

TEST(Pem, BrokenBlocksAreReportedAndReadingGoesOn) {
  const auto seen = read_all(
      "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"  // not base64
      "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"        // empty body
      "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAQID\n-----END CERTIFICATE-----\n"  // headers
      "-----BEGIN CERTIFICATE-----\nAQID\n-----END X509 CRL-----\n"       // END of another label
      "-----BEGIN CERTIFICATE-----\nBQY=\n-----END CERTIFICATE-----\n");  // fine
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].next, Next::malformed);
  EXPECT_EQ(seen[0].problem, Problem::bad_body);
  EXPECT_EQ(seen[0].label, "CERTIFICATE");
  EXPECT_EQ(seen[1].problem, Problem::bad_body);
  EXPECT_EQ(seen[1].label, "PRIVATE KEY");
  EXPECT_EQ(seen[2].problem, Problem::bad_body);
  EXPECT_EQ(seen[2].label, "CERTIFICATE");
  EXPECT_EQ(seen[3].problem, Problem::unterminated);
  EXPECT_EQ(seen[3].label, "CERTIFICATE");
  EXPECT_EQ(seen[4].next, Next::block);
  EXPECT_EQ(seen[4].der, (Bytes{5, 6}));
}

TEST(Pem, UnterminatedBlockAtTheEnd) {
  const auto seen = read_all("text\n-----BEGIN CERTIFICATE REQUEST-----  \nAQID");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].next, Next::malformed);
  EXPECT_EQ(seen[0].problem, Problem::unterminated);
  EXPECT_EQ(seen[0].label, "CERTIFICATE REQUEST");
}

TEST(Pem, InputOverTheCapIsNotRead) {
  const std::string text = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
  const auto seen = read_all(text, text.size() - 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].problem, Problem::too_large);
  EXPECT_EQ(read_all(text, text.size()).size(), 1u);
  EXPECT_FALSE(find_block(text, {"CERTIFICATE"}, text.size() - 1));
}

TEST(Pem, LeavesTheCallersErrorsQueued) {
  ERR_clear_error();
  ERR_raise(ERR_LIB_X509, ERR_R_PASSED_NULL_PARAMETER);
  const auto seen = read_all("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(ERR_GET_LIB(ERR_peek_last_error()), ERR_LIB_X509);
  ERR_get_error();
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing of the reader's own was left behind
}

TEST(Pem, FindBlockSkipsOtherLabels) {
  const std::string text =
      "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"
      "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n"
      "-----BEGIN NEW CERTIFICATE REQUEST-----\nBQY=\n-----END NEW CERTIFICATE REQUEST-----\n";
  auto b = find_block(text, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->label(), "NEW CERTIFICATE REQUEST");
  EXPECT_EQ(to_bytes(b->der()), (Bytes{5, 6}));
  EXPECT_FALSE(find_block(text, {"X509 CRL"}));
  // The first block with a wanted label is broken: nothing is found, later ones are not tried.
  EXPECT_FALSE(
      find_block("-----BEGIN X509 CRL-----\n!!!!\n-----END X509 CRL-----\n"
                 "-----BEGIN X509 CRL-----\nAQID\n-----END X509 CRL-----\n",
                 {"X509 CRL"}));
}

}  // namespace
}  // namespace trustmon::pem
