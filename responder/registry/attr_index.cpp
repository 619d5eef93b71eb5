// The epoch-partitioned attribute index (see attr_index.hpp).
#include "responder/registry/attr_index.hpp"

#include <cstring>

#include "storage/records.hpp"

namespace trustmon::registry {

Bytes epoch_index_key(ByteView index_key, std::uint32_t epoch) {
  return index_key.empty() ? Bytes{} : storage::epoch_key(index_key, 1, epoch);
}

Result<std::uint64_t> stored_certificates(const storage::WriteTxn& txn) {
  auto v = txn.get(storage::Table::meta, as_bytes(storage::kMetaStoredCertificates));
  if (!v) return std::move(v).error();
  if (!*v) return std::uint64_t{0};
  if ((*v)->size() != 8) return make_error(ErrorKind::storage, "storage_corrupt", "meta stored_certificates is not 8 octets");
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
  auto walk = storage::EpochWalk::open(txn, storage::Table::attr_index, index_key, 1, from, after);
  if (!walk) return std::move(walk).error();
  return IndexWalk(std::move(*walk));
}

Status IndexWalk::next() {
  if (walk_.done()) return {};
  const Bytes last(walk_.value().begin(), walk_.value().end());
  // The same cert key in two runs is one entry mid-merge (attr_index.hpp): skip the repeat.
  for (;;) {
    if (Status s = walk_.next(); !s) return s;
    if (walk_.done()) return {};
    const ByteView v = walk_.value();
    if (v.size() != last.size() || std::memcmp(v.data(), last.data(), v.size()) != 0) return {};
  }
}

Result<bool> compact_attr_index_step(storage::WriteTxn& txn, std::size_t max_entries) {
  auto stored = stored_certificates(txn);
  if (!stored) return std::move(stored).error();
  storage::EpochCompaction c;
  c.prefix = 1;
  c.state_key = kMetaAttrIndexCompaction;
  c.fan_in = kIndexFanIn;
  c.max_entries = max_entries;
  return storage::compact_epochs_step(txn, storage::Table::attr_index, c, epoch_of(*stored));
}

}  // namespace trustmon::registry
