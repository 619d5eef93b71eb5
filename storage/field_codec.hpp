// Field codecs shared by every module's record formats: FieldWriter appends fixed-width
// big-endian integers, times (be64 two's complement), raw bytes and variable fields
// (be32 length + bytes); FieldReader reads them back, checking the remaining length
// before every read. A failed read poisons the reader (later reads return zeros or empty
// views), so a decoder checks ok()/done() once at the end and reports "storage_corrupt".
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "common/ossl.hpp"

namespace trustmon::storage {

class FieldWriter {
 public:
  explicit FieldWriter(std::size_t reserve = 64) { out_.reserve(reserve); }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void be32(std::uint32_t v) {
    std::uint8_t b[4];
    put_be32(b, v);
    out_.insert(out_.end(), b, b + 4);
  }
  void be64(std::uint64_t v) {
    std::uint8_t b[8];
    put_be64(b, v);
    out_.insert(out_.end(), b, b + 8);
  }
  void time(UnixTime t) { be64(static_cast<std::uint64_t>(t)); }
  void raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void var(ByteView b) {
    be32(static_cast<std::uint32_t>(b.size()));
    raw(b);
  }
  void str(std::string_view s) { var(as_bytes(s)); }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class FieldReader {
 public:
  explicit FieldReader(ByteView in) : in_(in) {}
  bool ok() const noexcept { return ok_; }
  bool done() const noexcept { return ok_ && pos_ == in_.size(); }
  bool has(std::size_t n) noexcept {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::uint8_t u8() noexcept { return has(1) ? in_[pos_++] : 0; }
  std::uint32_t be32() noexcept {
    if (!has(4)) return 0;
    const std::uint32_t v = get_be32(in_.data() + pos_);
    pos_ += 4;
    return v;
  }
  std::uint64_t be64() noexcept {
    if (!has(8)) return 0;
    const std::uint64_t v = get_be64(in_.data() + pos_);
    pos_ += 8;
    return v;
  }
  UnixTime time() noexcept { return static_cast<UnixTime>(be64()); }
  ByteView raw(std::size_t n) noexcept {
    if (!has(n)) return {};
    ByteView v = in_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  ByteView var() noexcept { return raw(be32()); }
  std::string str() {
    ByteView v = var();
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
  }
  // A count of items that each take at least `min_size` bytes; a count the remaining
  // input cannot hold poisons the reader (guards allocations driven by damaged input).
  std::size_t count(std::size_t min_size) noexcept {
    const std::uint32_t n = be32();
    if (!ok_ || (in_.size() - pos_) / (min_size > 0 ? min_size : 1) < n) ok_ = false;
    return ok_ ? n : 0;
  }
  void fail() noexcept { ok_ = false; }
  void sha256(Sha256& out) noexcept {
    ByteView v = raw(out.size());
    if (ok_) std::memcpy(out.data(), v.data(), out.size());
  }

 private:
  ByteView in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace trustmon::storage
