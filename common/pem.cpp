// PEM blocks through PEM_read_bio (see pem.hpp for the policy).
#include "common/pem.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <climits>

namespace trustmon::pem {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

// The label of the first BEGIN line in `span`, read as PEM_read_bio reads it (a line that
// starts with "-----BEGIN " and, trailing white space aside, ends with "-----"). Only
// called for a block PEM_read_bio refused, which does not return the label then.
std::string_view label_of(std::string_view span) {
  while (!span.empty()) {
    const std::size_t eol = span.find('\n');
    std::string_view line = span.substr(0, eol);
    span = eol == std::string_view::npos ? std::string_view() : span.substr(eol + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.size() >= kBegin.size() + kDashes.size() && line.starts_with(kBegin) && line.ends_with(kDashes))
      return line.substr(kBegin.size(), line.size() - kBegin.size() - kDashes.size());
  }
  return {};
}

std::size_t pending(BIO* bio) {
  return static_cast<std::size_t>(std::max<long>(0, static_cast<long>(BIO_pending(bio))));
}

}  // namespace

Reader::Reader(std::string_view text, std::size_t max_bytes) : text_(text) {
  if (text.size() > std::min<std::size_t>(max_bytes, INT_MAX)) {
    over_cap_ = true;
    return;
  }
  if (text.empty()) return;
  bio_.reset(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio_) ossl_errors();
}

Next Reader::next(Block& out) {
  failure_ = {};
  if (over_cap_) {  // reported once; nothing of the text is read
    over_cap_ = false;
    failure_.problem = Problem::too_large;
    return Next::malformed;
  }
  if (!bio_) return Next::end;
  const std::size_t before = pending(bio_.get());
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  // The mark keeps the caller's queued errors; only what this read raised is dropped.
  ERR_set_mark();
  const bool read = PEM_read_bio(bio_.get(), &name, &header, &data, &len) == 1;
  const unsigned long err = ERR_peek_last_error();
  ERR_pop_to_mark();
  OsslCharsPtr label(name);
  OsslCharsPtr headers(header);
  OsslBytesPtr der(data);
  if (read && len > 0 && (headers == nullptr || headers.get()[0] == '\0')) {
    out.label_ = std::move(label);
    out.der_ = std::move(der);
    out.size_ = static_cast<std::size_t>(len);
    return Next::block;
  }
  if (!read && ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
    bio_.reset();  // PEM_read_bio read to the end looking for a BEGIN line
    return Next::end;
  }
  const std::size_t left = pending(bio_.get());
  if (left >= before) {  // nothing consumed (an allocation failed): stop rather than loop
    bio_.reset();
    return Next::end;
  }
  const std::string_view span = text_.substr(text_.size() - before, before - left);
  failure_.label = label_of(span);
  failure_.problem = !read && ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_BAD_END_LINE
                         ? Problem::unterminated
                         : Problem::bad_body;
  return Next::malformed;
}

std::optional<Block> find_block(std::string_view text, std::initializer_list<std::string_view> labels,
                                std::size_t max_bytes) {
  const auto wanted = [&labels](std::string_view label) {
    return std::find(labels.begin(), labels.end(), label) != labels.end();
  };
  Reader reader(text, max_bytes);
  Block block;
  for (;;) {
    switch (reader.next(block)) {
      case Next::block:
        if (wanted(block.label())) return block;
        break;
      case Next::end:
        return std::nullopt;
      case Next::malformed:
        if (reader.failure().problem == Problem::too_large || wanted(reader.failure().label))
          return std::nullopt;
        break;
    }
  }
}

}  // namespace trustmon::pem
