// parse_listen: the accepted forms of ServerOptions::listen and the stable error code.
#include <gtest/gtest.h>

#include "responder/http/server.hpp"

namespace trustmon::http {
namespace {

TEST(ParseListen, HostAndPort) {
  auto a = parse_listen("127.0.0.1:8080");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  a = parse_listen("localhost:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 0);
}

TEST(ParseListen, BracketedIpv6) {
  auto a = parse_listen("[::1]:443");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 443);
  a = parse_listen("[::]:65535");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::");
  EXPECT_EQ(a->port, 65535);
}

TEST(ParseListen, AnyAddress) {
  auto a = parse_listen("*:80");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "");
  a = parse_listen(":80");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 80);
}

TEST(ParseListen, Rejects) {
  for (const char* bad :
       {"", "8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x",
        "127.0.0.1:123456", "::1:80", "[::1]80", "[::1]", "[]:80", "[::1:80", "bad host:80", "a/b:80"}) {
    auto a = parse_listen(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.error().code, "listen_invalid") << bad;
  }
}

}  // namespace
}  // namespace trustmon::http
