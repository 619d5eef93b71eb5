#include "storage/crls.hpp"

#include <algorithm>

#include "storage/field_codec.hpp"

namespace trustmon::storage {
namespace {

constexpr std::uint8_t kFormat = 1;
constexpr std::size_t kKeySize = 4 + kMaxCrlNumberBytes;

Error corrupt(const char* what) {
  return make_error(ErrorKind::storage, "storage_corrupt", std::string("crls record: ") + what);
}

Bytes crl_key(std::uint32_t issuer, ByteView number) {
  Bytes key(kKeySize, 0);
  put_be32(key.data(), issuer);
  std::copy(number.begin(), number.end(), key.end() - static_cast<std::ptrdiff_t>(number.size()));
  return key;
}

template <typename Txn>
Result<std::optional<CrlView>> latest_in(const Txn& txn, std::uint32_t issuer) {
  auto cursor = Cursor::open(txn, Table::crls);
  if (!cursor) return std::move(cursor).error();
  // The first key of the next issuer, then one back.
  std::optional<CrlView> none;
  Result<bool> found = issuer == UINT32_MAX ? cursor->last() : cursor->seek(crl_key(issuer + 1, {}));
  if (!found) return std::move(found).error();
  if (issuer != UINT32_MAX) {
    found = *found ? cursor->prev() : cursor->last();
    if (!found) return std::move(found).error();
  }
  if (!*found) return none;
  const ByteView key = cursor->key();
  if (key.size() != kKeySize || get_be32(key.data()) != issuer) return none;
  auto view = view_crl(cursor->value());
  if (!view) return std::move(view).error();
  return std::optional<CrlView>(*view);
}

}  // namespace

std::optional<Bytes> normalize_crl_number(ByteView number) {
  std::size_t zeros = 0;
  while (zeros + 1 < number.size() && number[zeros] == 0) ++zeros;
  number = number.subspan(zeros);
  if (number.empty()) return Bytes{0};
  if (number.size() > kMaxCrlNumberBytes) return std::nullopt;
  return Bytes(number.begin(), number.end());
}

std::string crl_number_decimal(ByteView number) {
  // Repeated division by 10 of the big-endian magnitude (at most 20 octets).
  Bytes n(number.begin(), number.end());
  std::string digits;
  for (;;) {
    bool nonzero = false;
    unsigned rem = 0;
    for (auto& b : n) {
      const unsigned cur = (rem << 8) | b;
      b = static_cast<std::uint8_t>(cur / 10);
      rem = cur % 10;
      nonzero = nonzero || b != 0;
    }
    digits.push_back(static_cast<char>('0' + rem));
    if (!nonzero) break;
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::optional<Bytes> parse_crl_number_decimal(std::string_view text) {
  if (text.empty() || text.size() > 49) return std::nullopt;  // 2^160 has 49 digits
  Bytes n(kMaxCrlNumberBytes, 0);
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned carry = static_cast<unsigned>(c - '0');
    for (std::size_t i = n.size(); i-- > 0;) {
      const unsigned cur = n[i] * 10u + carry;
      n[i] = static_cast<std::uint8_t>(cur & 0xff);
      carry = cur >> 8;
    }
    if (carry != 0) return std::nullopt;
  }
  return normalize_crl_number(n);
}

int compare_crl_numbers(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const auto [pa, pb] = std::mismatch(a.begin(), a.end(), b.begin());
  if (pa == a.end()) return 0;
  return *pa < *pb ? -1 : 1;
}

Bytes encode_crl(const CrlRecord& r) {
  FieldWriter w(64 + r.der.size());
  w.u8(kFormat);
  w.u8(static_cast<std::uint8_t>(r.source));
  w.var(r.number);
  w.time(r.this_update);
  w.time(r.next_update);
  w.time(r.published_at);
  w.be64(r.entries);
  w.raw(r.sha256);
  w.var(r.der);
  return w.take();
}

Result<CrlView> view_crl(ByteView value) {
  FieldReader in(value);
  if (in.u8() != kFormat) return corrupt("unknown format");
  CrlView v;
  const std::uint8_t source = in.u8();
  if (source != static_cast<std::uint8_t>(CrlSource::uploaded) && source != static_cast<std::uint8_t>(CrlSource::built))
    return corrupt("unknown source");
  v.source = static_cast<CrlSource>(source);
  v.number = in.var();
  v.this_update = in.time();
  v.next_update = in.time();
  v.published_at = in.time();
  v.entries = in.be64();
  const ByteView digest = in.raw(v.sha256.size());
  if (digest.size() == v.sha256.size()) std::copy(digest.begin(), digest.end(), v.sha256.begin());
  v.der = in.var();
  if (!in.done()) return corrupt("truncated or trailing bytes");
  if (v.number.empty() || v.number.size() > kMaxCrlNumberBytes) return corrupt("bad number");
  return v;
}

Result<std::optional<CrlView>> latest_crl(const ReadTxn& txn, std::uint32_t issuer) { return latest_in(txn, issuer); }
Result<std::optional<CrlView>> latest_crl(const WriteTxn& txn, std::uint32_t issuer) { return latest_in(txn, issuer); }

Result<std::optional<CrlView>> crl_by_number(const ReadTxn& txn, std::uint32_t issuer, ByteView number) {
  auto n = normalize_crl_number(number);
  if (!n) return std::optional<CrlView>{};
  auto value = txn.get(Table::crls, crl_key(issuer, *n));
  if (!value) return std::move(value).error();
  if (!*value) return std::optional<CrlView>{};
  auto view = view_crl(**value);
  if (!view) return std::move(view).error();
  return std::optional<CrlView>(*view);
}

Status put_crl(WriteTxn& txn, std::uint32_t issuer, const CrlRecord& r) {
  auto n = normalize_crl_number(r.number);
  if (!n) return make_error(ErrorKind::invalid, "crl_number_invalid", "a CRL number has at most 20 octets");
  auto latest = latest_crl(txn, issuer);
  if (!latest) return std::move(latest).error();
  if (*latest && compare_crl_numbers(*n, (*latest)->number) <= 0)
    return make_error(ErrorKind::conflict, "crl_number_not_greater",
                      "the issuer's published CRL has number " + crl_number_decimal((*latest)->number) +
                          "; a new CRL needs a greater number");
  CrlRecord stored = r;
  stored.number = *n;
  return txn.put(Table::crls, crl_key(issuer, *n), encode_crl(stored));
}

}  // namespace trustmon::storage
