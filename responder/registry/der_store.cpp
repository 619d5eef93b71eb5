// Certificate DER storage (see der_store.hpp).
#include "responder/registry/der_store.hpp"

#include "responder/registry/attr_index.hpp"
#include "responder/registry/attributes.hpp"

namespace trustmon::registry {

Bytes der_key(std::uint64_t der_id) {
  Bytes key(8);
  for (int i = 7; i >= 0; --i, der_id >>= 8) key[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(der_id);
  return key;
}

Result<std::optional<ByteView>> stored_der_by_sha256(const storage::ReadTxn& txn, const Sha256& sha) {
  auto walk = IndexWalk::open(txn, index_key(Attribute{AttrKind::sha256, {}, hex_encode(sha)}));
  if (!walk) return std::move(walk).error();
  if (walk->done()) return std::optional<ByteView>{};
  auto value = txn.get(storage::Table::certs, walk->cert_key());
  if (!value) return std::move(value).error();
  if (!*value) return std::optional<ByteView>{};
  auto record = storage::decode_cert(**value);
  if (!record) return std::move(record).error();
  if (record->cert_sha256 != sha) return std::optional<ByteView>{};
  return stored_der(txn, *record);
}

}  // namespace trustmon::registry
