// The epoch-partitioned attribute index (see attr_index.hpp).
#include "responder/registry/attr_index.hpp"

#include <algorithm>
#include <cstring>

#include "storage/records.hpp"

namespace trustmon::registry {

namespace {

bool less(ByteView a, ByteView b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }
bool same(ByteView a, ByteView b) { return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0; }

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

Bytes epoch_index_key(ByteView index_key, std::uint32_t epoch) {
  Bytes out;
  if (index_key.empty()) return out;
  out.reserve(index_key.size() + 4);
  out.push_back(index_key[0]);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(epoch >> shift));
  out.insert(out.end(), index_key.begin() + 1, index_key.end());
  return out;
}

Result<std::uint64_t> stored_certificates(const storage::WriteTxn& txn) {
  auto v = txn.get(storage::Table::meta, as_bytes(storage::kMetaStoredCertificates));
  if (!v) return std::move(v).error();
  if (!*v) return std::uint64_t{0};
  if ((*v)->size() != 8) return make_error("storage_corrupt", "meta stored_certificates is not 8 octets");
  std::uint64_t n = 0;
  for (std::uint8_t b : **v) n = (n << 8) | b;
  return n;
}

Status set_stored_certificates(storage::WriteTxn& txn, std::uint64_t count) {
  std::uint8_t buf[8];
  for (int i = 7; i >= 0; --i, count >>= 8) buf[i] = static_cast<std::uint8_t>(count);
  return txn.put(storage::Table::meta, as_bytes(storage::kMetaStoredCertificates), ByteView(buf, sizeof buf));
}

Result<IndexWalk> IndexWalk::open(const storage::ReadTxn& txn, ByteView index_key, std::optional<ByteView> from,
                                  bool after) {
  IndexWalk walk;
  if (index_key.empty()) return walk;
  const std::uint8_t kind = index_key[0];
  const ByteView rest = index_key.subspan(1);
  auto probe = storage::Cursor::open(txn, storage::Table::attr_index);
  if (!probe) return std::move(probe).error();
  // Skip-scan over the epochs: each seek lands on this epoch's key or on the next key
  // present, which names the next epoch worth probing.
  std::uint64_t epoch = 0;
  while (epoch <= 0xffffffffu) {
    const Bytes key = epoch_index_key(index_key, static_cast<std::uint32_t>(epoch));
    auto found = probe->seek(key);
    if (!found) return std::move(found).error();
    if (!*found) break;
    const ByteView k = probe->key();
    if (k.size() < 5 || k[0] != kind) break;
    const std::uint32_t landed = read_be32(k.data() + 1);
    if (landed != epoch) {
      epoch = landed;  // nothing of ours in the epochs skipped over
      continue;
    }
    if (same(k.subspan(5), rest)) {
      auto list = storage::Cursor::open(txn, storage::Table::attr_index);
      if (!list) return std::move(list).error();
      auto at = from ? list->seek_dup(key, *from) : list->find(key);
      if (!at) return std::move(at).error();
      if (*at && from && after && same(list->value(), *from)) at = list->next_dup();
      if (!at) return std::move(at).error();
      if (*at) walk.lists_.push_back(std::move(*list));
    }
    ++epoch;
  }
  walk.pick();
  return walk;
}

void IndexWalk::pick() {
  current_ = kNone;
  for (std::size_t i = 0; i < lists_.size(); ++i)
    if (current_ == kNone || less(lists_[i].value(), lists_[current_].value())) current_ = i;
}

Status IndexWalk::next() {
  if (current_ == kNone) return {};
  auto more = lists_[current_].next_dup();
  if (!more) return std::move(more).error();
  if (!*more) lists_.erase(lists_.begin() + static_cast<std::ptrdiff_t>(current_));
  pick();
  return {};
}

}  // namespace trustmon::registry
