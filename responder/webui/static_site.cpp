#include "responder/webui/static_site.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "common/ossl.hpp"

namespace trustmon::webui {
namespace fs = std::filesystem;
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                    c == '-';
    if (!ok) return false;
  }
  return true;
}

Error invalid_file(const fs::path& p, const std::string& why) {
  return make_error(ErrorKind::invalid, "web_file_invalid", p.string() + ": " + why);
}

Result<Bytes> read_capped(const fs::path& p, std::size_t& total) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) return invalid_file(p, ec.message());
  if (size > kMaxFileBytes) return invalid_file(p, "larger than " + std::to_string(kMaxFileBytes) + " bytes");
  if (total + size > kMaxTotalBytes) return invalid_file(p, "the folder is larger than " + std::to_string(kMaxTotalBytes) + " bytes");
  std::ifstream in(p, std::ios::binary);
  if (!in) return invalid_file(p, "cannot be read");
  Bytes out(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  if (static_cast<std::size_t>(in.gcount()) != out.size()) return invalid_file(p, "changed while being read");
  total += out.size();
  return out;
}

Asset make_asset(std::string_view name, Bytes body) {
  Asset a;
  a.content_type = std::string(content_type_of(name));
  a.etag = "\"" + hex_encode(sha256(body)) + "\"";
  a.body = std::make_shared<const Bytes>(std::move(body));
  return a;
}

}  // namespace

std::string_view content_type_of(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string default_web_dir() {
  if (const char* env = std::getenv("TRUSTMON_WEB_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  if (fs::exists(fs::path(TRUSTMON_SOURCE_WEB_DIR) / "index.html", ec)) return TRUSTMON_SOURCE_WEB_DIR;
  return TRUSTMON_INSTALLED_WEB_DIR;
}

const Asset* StaticSite::asset(std::string_view name) const noexcept {
  auto it = assets_.find(name);
  return it == assets_.end() ? nullptr : &it->second;
}

Result<StaticSite> StaticSite::load(const std::string& dir) {
  StaticSite site;
  site.dir_ = dir;
  std::size_t total = 0;
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_regular_file(root / "index.html", ec))
    return make_error(ErrorKind::invalid, "web_dir_unreadable", dir + " has no index.html (build web/ or set [web] dir)");
  auto index = read_capped(root / "index.html", total);
  if (!index) return std::move(index).error();
  site.index_ = make_asset("index.html", std::move(*index));
  if (auto gz = root / "index.html.gz"; fs::is_regular_file(gz, ec)) {
    auto bytes = read_capped(gz, total);
    if (!bytes) return std::move(bytes).error();
    site.index_.gzip = std::make_shared<const Bytes>(std::move(*bytes));
  }
  const fs::path assets = root / "assets";
  if (!fs::is_directory(assets, ec)) return site;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(assets, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;  // no sub-folders, no links out
    if (files.size() >= kMaxFiles) return invalid_file(assets, "more than " + std::to_string(kMaxFiles) + " files");
    files.push_back(it->path());
  }
  if (ec) return make_error(ErrorKind::invalid, "web_dir_unreadable", assets.string() + ": " + ec.message());
  // Plain files first, so a .gz finds its original.
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    const std::string name = p.filename().string();
    if (!valid_name(name)) return invalid_file(p, "a file name the cabinet does not use");
    if (name.size() > 3 && name.ends_with(".gz")) continue;
    auto bytes = read_capped(p, total);
    if (!bytes) return std::move(bytes).error();
    site.assets_.emplace(name, make_asset(name, std::move(*bytes)));
  }
  for (const fs::path& p : files) {
    const std::string name = p.filename().string();
    if (name.size() <= 3 || !name.ends_with(".gz")) continue;
    auto it = site.assets_.find(std::string_view(name).substr(0, name.size() - 3));
    if (it == site.assets_.end()) continue;  // a stray .gz is not served
    auto bytes = read_capped(p, total);
    if (!bytes) return std::move(bytes).error();
    it->second.gzip = std::make_shared<const Bytes>(std::move(*bytes));
  }
  return site;
}

}  // namespace trustmon::webui
