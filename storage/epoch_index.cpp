// Epoch-partitioned DUPSORT indexes (see epoch_index.hpp).
#include "storage/epoch_index.hpp"

#include <algorithm>
#include <cstring>

namespace trustmon::storage {

namespace {

bool less(ByteView a, ByteView b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }
bool same(ByteView a, ByteView b) { return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0; }

}  // namespace

Bytes epoch_key(ByteView key, std::size_t prefix, std::uint32_t epoch) {
  Bytes out;
  if (key.size() < prefix) return out;
  out.reserve(key.size() + 4);
  out.insert(out.end(), key.begin(), key.begin() + static_cast<std::ptrdiff_t>(prefix));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(epoch >> shift));
  out.insert(out.end(), key.begin() + static_cast<std::ptrdiff_t>(prefix), key.end());
  return out;
}

void set_epoch(Bytes& stored_key, std::size_t prefix, std::uint32_t epoch) {
  if (stored_key.size() >= prefix + 4) put_be32(stored_key.data() + prefix, epoch);
}

template <class Txn>
Result<EpochWalk> EpochWalk::open(const Txn& txn, Table table, ByteView key, std::size_t prefix,
                                  std::optional<ByteView> from, bool after) {
  EpochWalk walk;
  if (key.size() < prefix) return walk;
  const ByteView head = key.first(prefix);
  const ByteView rest = key.subspan(prefix);
  auto probe = Cursor::open(txn, table);
  if (!probe) return std::move(probe).error();
  // Skip-scan: each seek lands on this epoch's key or on the next key present, which
  // names the next epoch worth probing.
  std::uint64_t epoch = 0;
  while (epoch <= 0xffffffffu) {
    const Bytes stored = epoch_key(key, prefix, static_cast<std::uint32_t>(epoch));
    auto found = probe->seek(stored);
    if (!found) return std::move(found).error();
    if (!*found) break;
    const ByteView k = probe->key();
    if (k.size() < prefix + 4 || !same(k.first(prefix), head)) break;
    const std::uint32_t landed = get_be32(k.data() + prefix);
    if (landed != epoch) {
      epoch = landed;  // nothing of this key in the epochs skipped over
      continue;
    }
    if (same(k.subspan(prefix + 4), rest)) {
      auto list = Cursor::open(txn, table);
      if (!list) return std::move(list).error();
      auto at = from ? list->seek_dup(stored, *from) : list->find(stored);
      if (at && *at && from && after && same(list->value(), *from)) at = list->next_dup();
      if (!at) return std::move(at).error();
      if (*at) walk.lists_.push_back(std::move(*list));
    }
    ++epoch;
  }
  walk.pick();
  return walk;
}

template Result<EpochWalk> EpochWalk::open<ReadTxn>(const ReadTxn&, Table, ByteView, std::size_t,
                                                     std::optional<ByteView>, bool);
template Result<EpochWalk> EpochWalk::open<WriteTxn>(const WriteTxn&, Table, ByteView, std::size_t,
                                                      std::optional<ByteView>, bool);

void EpochWalk::pick() {
  current_ = kNone;
  for (std::size_t i = 0; i < lists_.size(); ++i)
    if (current_ == kNone || less(lists_[i].value(), lists_[current_].value())) current_ = i;
}

Status EpochWalk::next() {
  if (current_ == kNone) return {};
  auto more = lists_[current_].next_dup();
  if (!more) return std::move(more).error();
  if (!*more) lists_.erase(lists_.begin() + static_cast<std::ptrdiff_t>(current_));
  pick();
  return {};
}

}  // namespace trustmon::storage
