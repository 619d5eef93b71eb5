#include "storage/crls.hpp"

#include <algorithm>

#include "storage/field_codec.hpp"

namespace trustmon::storage {
namespace {

// Format 1 (schema 3) had no scope: a complete, unsharded CRL. Format 2 adds kind, shard
// and the delta's base number after the source.
constexpr std::uint8_t kFormat = 2;
constexpr std::uint8_t kFormatUnscoped = 1;
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

// The issuer's greatest number: the first key of the next issuer, then one back.
template <typename Txn>
Result<std::optional<Bytes>> last_number_in(const Txn& txn, std::uint32_t issuer) {
  auto cursor = Cursor::open(txn, Table::crls);
  if (!cursor) return std::move(cursor).error();
  std::optional<Bytes> none;
  Result<bool> found = issuer == UINT32_MAX ? cursor->last() : cursor->seek(crl_key(issuer + 1, {}));
  if (!found) return std::move(found).error();
  if (issuer != UINT32_MAX) {
    found = *found ? cursor->prev() : cursor->last();
    if (!found) return std::move(found).error();
  }
  if (!*found) return none;
  const ByteView key = cursor->key();
  if (key.size() != kKeySize || get_be32(key.data()) != issuer) return none;
  return normalize_crl_number(key.subspan(4));
}

template <typename Txn>
Result<std::optional<CrlView>> by_number_in(const Txn& txn, std::uint32_t issuer, ByteView number) {
  auto n = normalize_crl_number(number);
  if (!n) return std::optional<CrlView>{};
  auto value = txn.get(Table::crls, crl_key(issuer, *n));
  if (!value) return std::move(value).error();
  if (!*value) return std::optional<CrlView>{};
  auto view = view_crl(**value);
  if (!view) return std::move(view).error();
  return std::optional<CrlView>(*view);
}

template <typename Txn>
Result<std::optional<CrlView>> latest_in(const Txn& txn, std::uint32_t issuer, CrlScope scope) {
  auto head = txn.get(Table::crl_heads, crl_head_key(issuer, scope));
  if (!head) return std::move(head).error();
  if (!*head) return std::optional<CrlView>{};
  auto view = by_number_in(txn, issuer, **head);
  if (!view) return std::move(view).error();
  if (!*view) return corrupt("a scope's head names a CRL that is not stored");
  return view;
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
  w.u8(static_cast<std::uint8_t>(r.scope.kind));
  w.u8(static_cast<std::uint8_t>(r.scope.shard >> 8));
  w.u8(static_cast<std::uint8_t>(r.scope.shard & 0xff));
  w.var(r.base_number);
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
  const std::uint8_t format = in.u8();
  if (format != kFormat && format != kFormatUnscoped) return corrupt("unknown format");
  CrlView v;
  const std::uint8_t source = in.u8();
  if (source != static_cast<std::uint8_t>(CrlSource::uploaded) && source != static_cast<std::uint8_t>(CrlSource::built))
    return corrupt("unknown source");
  v.source = static_cast<CrlSource>(source);
  if (format == kFormat) {
    const std::uint8_t kind = in.u8();
    if (kind > static_cast<std::uint8_t>(CrlKind::delta)) return corrupt("unknown kind");
    v.scope.kind = static_cast<CrlKind>(kind);
    const std::uint8_t high = in.u8();
    v.scope.shard = static_cast<std::uint16_t>((high << 8) | in.u8());
    v.base_number = in.var();
  }
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

Bytes crl_head_key(std::uint32_t issuer, CrlScope scope) {
  Bytes key(7, 0);
  put_be32(key.data(), issuer);
  key[4] = static_cast<std::uint8_t>(scope.kind);
  key[5] = static_cast<std::uint8_t>(scope.shard >> 8);
  key[6] = static_cast<std::uint8_t>(scope.shard & 0xff);
  return key;
}

Result<std::optional<CrlView>> latest_crl(const ReadTxn& txn, std::uint32_t issuer, CrlScope scope) {
  return latest_in(txn, issuer, scope);
}
Result<std::optional<CrlView>> latest_crl(const WriteTxn& txn, std::uint32_t issuer, CrlScope scope) {
  return latest_in(txn, issuer, scope);
}
Result<std::optional<Bytes>> last_crl_number(const ReadTxn& txn, std::uint32_t issuer) {
  return last_number_in(txn, issuer);
}
Result<std::optional<Bytes>> last_crl_number(const WriteTxn& txn, std::uint32_t issuer) {
  return last_number_in(txn, issuer);
}

Result<std::optional<CrlView>> crl_by_number(const ReadTxn& txn, std::uint32_t issuer, ByteView number) {
  return by_number_in(txn, issuer, number);
}

Status put_crl(WriteTxn& txn, std::uint32_t issuer, const CrlRecord& r) {
  auto n = normalize_crl_number(r.number);
  if (!n) return make_error(ErrorKind::invalid, "crl_number_invalid", "a CRL number has at most 20 octets");
  if ((r.scope.kind == CrlKind::delta) != !r.base_number.empty() ||
      (r.scope.kind == CrlKind::delta && r.scope.shard != kNoShard))
    return make_error(ErrorKind::invalid, "crl_scope_invalid", "a delta CRL has a base number and no shard; others neither");
  auto last = last_crl_number(txn, issuer);
  if (!last) return std::move(last).error();
  if (*last && compare_crl_numbers(*n, **last) <= 0)
    return make_error(ErrorKind::conflict, "crl_number_not_greater",
                      "the issuer's published CRL has number " + crl_number_decimal(**last) +
                          "; a new CRL needs a greater number");
  CrlRecord stored = r;
  stored.number = *n;
  if (Status s = txn.put(Table::crls, crl_key(issuer, *n), encode_crl(stored)); !s) return s;
  return txn.put(Table::crl_heads, crl_head_key(issuer, r.scope), *n);
}

}  // namespace trustmon::storage
