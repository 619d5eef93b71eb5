// StaticSite: index.html and assets/ are read, a .gz joins its original, ETags follow the
// bytes, and a folder that is not a cabinet build is refused instead of served.
#include "responder/webui/static_site.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/scratch_dir.hpp"

namespace trustmon::webui {
namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(StaticSiteTest, ReadsTheIndexAndAssetsWithTheirGzipForms) {
  testing::ScratchDir dir;
  std::filesystem::create_directories(dir / "assets");
  write(dir / "index.html", "<!doctype html>");
  write(dir / "assets/app-1.js", "let a = 1;");
  write(dir / "assets/app-1.js.gz", "GZ");
  write(dir / "assets/app-1.css", "body{}");
  write(dir / "assets/stray.txt.gz", "nobody's");
  std::filesystem::create_directories(dir / "assets/sub");
  write(dir / "assets/sub/hidden.js", "no");
  auto site = StaticSite::load(dir.path());
  ASSERT_TRUE(site) << site.error().message;
  EXPECT_EQ(site->asset_count(), 2u);
  EXPECT_EQ(site->index().content_type, "text/html; charset=utf-8");
  const Asset* js = site->asset("app-1.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  ASSERT_TRUE(js->gzip);
  EXPECT_EQ(std::string(js->gzip->begin(), js->gzip->end()), "GZ");
  EXPECT_EQ(std::string(js->body->begin(), js->body->end()), "let a = 1;");
  const Asset* css = site->asset("app-1.css");
  ASSERT_NE(css, nullptr);
  EXPECT_FALSE(css->gzip);
  EXPECT_NE(js->etag, css->etag);
  EXPECT_EQ(js->etag.size(), 66u);
  EXPECT_EQ(site->asset("stray.txt"), nullptr);
  EXPECT_EQ(site->asset("sub"), nullptr);
  EXPECT_EQ(site->asset("../index.html"), nullptr);
}

TEST(StaticSiteTest, RefusesAFolderWithoutIndexOrWithStrangeNames) {
  testing::ScratchDir empty;
  auto none = StaticSite::load(empty.path());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "web_dir_unreadable");
  testing::ScratchDir odd;
  std::filesystem::create_directories(odd / "assets");
  write(odd / "index.html", "x");
  write(odd / "assets/a b.js", "x");
  auto refused = StaticSite::load(odd.path());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "web_file_invalid");
}

TEST(StaticSiteTest, ContentTypesByExtension) {
  EXPECT_EQ(content_type_of("x.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_of("x.woff2"), "font/woff2");
  EXPECT_EQ(content_type_of("x.map"), "application/json");
  EXPECT_EQ(content_type_of("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace trustmon::webui
