// PEM text (RFC 7468) read through OpenSSL's PEM_read_bio: each block's label and the
// DER of its body, without decoding what the DER holds (d2i_X509 would decode the
// subject's key, the cost pki/cert_view.hpp avoids). The one PEM reader of the
// server; trustmonctl import only checks and forwards blocks (tools/cmd_import.cpp).
//
// Policy: the text is read in place from a read-only memory BIO, never copied, and is
// capped (kMaxInputBytes, or the caller's smaller cap). Text around the blocks is
// skipped. OpenSSL judges the framing: a BEGIN line at the start of a line, the END line
// with the same label, a padded base64 body. A block with encapsulated headers (RFC 1421
// "Proc-Type: ...", encrypted PEM) is malformed here: nothing in trustmon reads those.
// A broken block does not end the reading; the reader goes on after it. Callers turn
// the outcomes into their own error codes.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "common/bytes.hpp"
#include "common/ossl.hpp"

namespace trustmon::pem {

// BIO_new_mem_buf takes an int; the HTTP body limit is at most 1 GiB.
inline constexpr std::size_t kMaxInputBytes = std::size_t{1} << 30;

// One decoded block; owns the buffers PEM_read_bio returned.
class Block {
 public:
  std::string_view label() const noexcept {
    return label_ ? std::string_view(label_.get()) : std::string_view();
  }
  ByteView der() const noexcept { return ByteView(der_.get(), size_); }

 private:
  friend class Reader;
  OsslCharsPtr label_;
  OsslBytesPtr der_;
  std::size_t size_ = 0;
};

enum class Next {
  block,      // the next block, in `out`
  end,        // no BEGIN line after the last block
  malformed,  // the next block is broken: failure() says how; next() goes on after it
};

enum class Problem {
  none,
  unterminated,  // no END line with the block's label
  bad_body,      // framed, but the body is not padded base64, is empty or has headers
  too_large,     // the whole input is over the cap (nothing is read)
};

struct Failure {
  Problem problem = Problem::none;
  std::string_view label;  // the broken block's label (a view into the text); empty if unknown
};

class Reader {
 public:
  // `text` must outlive the reader.
  explicit Reader(std::string_view text, std::size_t max_bytes = kMaxInputBytes);

  Next next(Block& out);
  const Failure& failure() const noexcept { return failure_; }

 private:
  std::string_view text_;
  BioPtr bio_;
  Failure failure_;
  bool over_cap_ = false;
};

// The first well-formed block labelled with one of `labels`; blocks with other labels,
// broken or not, are skipped. nullopt when there is no such block, when the first block
// with a wanted label is broken, or when the text is over `max_bytes`.
std::optional<Block> find_block(std::string_view text, std::initializer_list<std::string_view> labels,
                                std::size_t max_bytes = kMaxInputBytes);

}  // namespace trustmon::pem
