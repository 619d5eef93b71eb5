// Strict DER reading, backward DER writing, OIDs (see der.hpp for the policy).
#include "common/der.hpp"

#include <algorithm>
#include <cstring>

#include "common/time.hpp"

namespace trustmon::der {

void BackWriter::room(std::size_t n) {
  if (pos_ >= n) return;
  // Grow toward the front: new space goes before the bytes already written.
  const std::size_t used = size();
  const std::size_t cap = std::max(buf_.size() * 2, used + n + 64);
  Bytes grown(cap);
  std::memcpy(grown.data() + cap - used, buf_.data() + pos_, used);
  buf_.swap(grown);
  pos_ = cap - used;
}

void BackWriter::byte(std::uint8_t b) {
  room(1);
  buf_[--pos_] = b;
}

void BackWriter::bytes(ByteView b) {
  if (b.empty()) return;
  room(b.size());
  pos_ -= b.size();
  std::memcpy(buf_.data() + pos_, b.data(), b.size());
}

void BackWriter::header(std::uint8_t tag, std::size_t len) {
  room(6);
  if (len < 0x80) {
    buf_[--pos_] = static_cast<std::uint8_t>(len);
  } else {
    std::uint8_t n = 0;
    for (std::size_t v = len; v != 0; v >>= 8) {
      buf_[--pos_] = static_cast<std::uint8_t>(v);
      ++n;
    }
    buf_[--pos_] = static_cast<std::uint8_t>(0x80 | n);
  }
  buf_[--pos_] = tag;
}

std::size_t tlv_size(std::size_t len) noexcept {
  std::size_t n = 2;
  if (len >= 0x80)
    for (std::size_t v = len; v != 0; v >>= 8) ++n;
  return n + len;
}

namespace {

void put2(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

bool digits(const std::uint8_t* p, int n, unsigned& out) noexcept {
  unsigned v = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(p[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

bool valid_oid(ByteView content) noexcept {
  if (content.empty() || (content.back() & 0x80) != 0) return false;
  bool at_start = true;  // at the first octet of a sub-identifier
  for (std::uint8_t b : content) {
    if (at_start && b == 0x80) return false;
    at_start = (b & 0x80) == 0;
  }
  return true;
}

std::string oid_text(ByteView content) {
  if (!valid_oid(content)) return {};
  std::string text;
  std::uint64_t value = 0;
  bool first = true;
  for (std::uint8_t b : content) {
    if (value > (UINT64_MAX >> 7)) return {};
    value = (value << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      const std::uint64_t arc = value < 40 ? 0 : value < 80 ? 1 : 2;
      text = std::to_string(arc) + "." + std::to_string(value - arc * 40);
      first = false;
    } else {
      text += "." + std::to_string(value);
    }
    value = 0;
  }
  return text;
}

bool format_generalized_time(UnixTime t, char out[15]) noexcept {
  std::int64_t days = t / 86400;
  std::int64_t secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  const CivilDate c = civil_from_days(days);
  if (c.year < 0 || c.year > 9999) return false;
  const auto y = static_cast<unsigned>(c.year);
  put2(out, y / 100);
  put2(out + 2, y % 100);
  put2(out + 4, c.month);
  put2(out + 6, c.day);
  put2(out + 8, static_cast<unsigned>(secs / 3600));
  put2(out + 10, static_cast<unsigned>(secs / 60 % 60));
  put2(out + 12, static_cast<unsigned>(secs % 60));
  out[14] = 'Z';
  return true;
}

bool put_generalized_time(BackWriter& w, UnixTime t) {
  char text[15];
  if (!format_generalized_time(t, text)) return false;
  w.tlv(kGeneralizedTime, as_bytes(std::string_view(text, sizeof text)));
  return true;
}

bool parse_generalized_time(ByteView c, UnixTime& out) noexcept {
  if (c.size() != 15 || c[14] != 'Z') return false;
  unsigned yh, yl, mo, d, h, mi, s;
  const std::uint8_t* p = c.data();
  if (!digits(p, 2, yh) || !digits(p + 2, 2, yl) || !digits(p + 4, 2, mo) || !digits(p + 6, 2, d) ||
      !digits(p + 8, 2, h) || !digits(p + 10, 2, mi) || !digits(p + 12, 2, s))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return false;
  const std::int64_t days = days_from_civil(yh * 100 + yl, mo, d);
  out = days * 86400 + h * 3600 + mi * 60 + s;
  return true;
}

}  // namespace trustmon::der
