// StaticSite: the electronic cabinet's built files (web/dist: index.html and assets/),
// read once at start and served from memory.
//
// Policy:
//  * the folder is `[web] dir`, else $TRUSTMON_WEB_DIR, else the source tree's web/dist
//    when it holds an index.html (builds and tests), else the installed
//    share/trustmon/web (default_web_dir());
//  * only regular files directly in the folder (index.html) and in assets/ are taken;
//    names are [A-Za-z0-9._-] without a leading dot; at most kMaxFiles files,
//    kMaxFileBytes each and kMaxTotalBytes in all (a wrong folder fails the start
//    instead of filling memory);
//  * a file `x.gz` beside `x` is its gzip form, sent to clients that accept gzip;
//  * every file gets a strong ETag (SHA-256 of its bytes) and a content type by extension;
//    assets are immutable (the build puts a content hash in their names).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace trustmon::webui {

inline constexpr std::size_t kMaxFiles = 2000;
inline constexpr std::size_t kMaxFileBytes = 16u << 20;
inline constexpr std::size_t kMaxTotalBytes = 128u << 20;

struct Asset {
  std::string content_type;
  std::shared_ptr<const Bytes> body;
  std::shared_ptr<const Bytes> gzip;  // null when there is no .gz beside it
  std::string etag;                   // "\"<hex>\""
};

class StaticSite {
 public:
  // Codes: web_dir_unreadable (no index.html), web_file_invalid (a cap or a name).
  static Result<StaticSite> load(const std::string& dir);

  const Asset& index() const noexcept { return index_; }
  // The file assets/<name>, or null.
  const Asset* asset(std::string_view name) const noexcept;
  std::size_t asset_count() const noexcept { return assets_.size(); }
  const std::string& dir() const noexcept { return dir_; }

 private:
  std::string dir_;
  Asset index_;
  std::map<std::string, Asset, std::less<>> assets_;
};

std::string default_web_dir();
// "text/css", "application/javascript", … by the name's extension; octet-stream otherwise.
std::string_view content_type_of(std::string_view name);

}  // namespace trustmon::webui
