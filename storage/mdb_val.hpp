// MDB_val <-> ByteView for the files of storage/ that call LMDB directly (lmdb.cpp,
// migrations.cpp). Not for other modules: they go through lmdb.hpp and scan.hpp.
#pragma once

#include <lmdb.h>

#include <cstdint>

#include "common/bytes.hpp"

namespace trustmon::storage {

inline MDB_val to_val(ByteView v) noexcept {
  MDB_val m;
  m.mv_size = v.size();
  // LMDB takes void* but never writes through key or data it is given.
  m.mv_data = const_cast<void*>(static_cast<const void*>(v.data()));
  return m;
}

inline ByteView from_val(const MDB_val& m) noexcept {
  return ByteView(static_cast<const std::uint8_t*>(m.mv_data), m.mv_size);
}

}  // namespace trustmon::storage
