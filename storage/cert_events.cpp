#include "storage/cert_events.hpp"

#include "storage/scan.hpp"

namespace trustmon::storage {

Status note_cert_event(WriteTxn& txn, ByteView cert_key, std::uint64_t seq) {
  Bytes key(cert_key.begin(), cert_key.end());
  key.resize(cert_key.size() + 8);
  put_be64(key.data() + cert_key.size(), seq);
  return txn.put(Table::cert_events, key, ByteView());
}

Result<std::vector<std::uint64_t>> cert_event_seqs(const ReadTxn& txn, ByteView cert_key) {
  std::vector<std::uint64_t> out;
  Status walked = for_each_prefix(txn, Table::cert_events, cert_key, [&](ByteView key, ByteView) -> bool {
    // cert keys carry their serial's length, so no other certificate's key has this prefix
    // followed by exactly 8 more octets.
    if (key.size() != cert_key.size() + 8) return true;
    out.push_back(get_be64(key.data() + cert_key.size()));
    return out.size() < kMaxCertEvents;
  });
  if (!walked) return std::move(walked).error();
  return out;
}

}  // namespace trustmon::storage
