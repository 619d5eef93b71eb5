// Newest-first pages over a table keyed by be64 numbers (filed requests and applications):
// what list endpoints with ?before=&limit= return.
//
// Policy: a page starts below `before` (exclusive) or at the newest record, keeps what
// `keep` accepts up to `limit` items, and looks at no more than `scan_cap` records, so a
// selective filter over a long history costs a bounded walk; `next` (pass as `before`)
// resumes where the page stopped.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::uint64_t> next;  // pass as `before` for the next page
};

// `decode(ByteView) -> Result<Record>`; Record has a `number` member (its key).
template <typename Record, typename Decode, typename Keep>
Result<Page<Record>> newest_first(const ReadTxn& txn, Table t, std::optional<std::uint64_t> before, std::size_t limit,
                                  std::size_t scan_cap, Decode decode, Keep keep) {
  auto cur = Cursor::open(txn, t);
  if (!cur) return std::move(cur).error();
  Bytes from(8);
  if (before) put_be64(from.data(), *before);
  Result<bool> at = before ? cur->seek(from) : cur->last();
  if (before) {
    // seek lands on the first key >= before: step back to the first one below it.
    if (!at) return std::move(at).error();
    at = *at ? cur->prev() : cur->last();
  }
  Page<Record> page;
  std::size_t scanned = 0;
  for (; at.ok() && *at; at = cur->prev()) {
    auto rec = decode(cur->value());
    if (!rec) return std::move(rec).error();
    if (page.items.size() == limit || scanned == scan_cap) {
      page.next = rec->number + 1;  // "before" is exclusive: resume at this record
      break;
    }
    ++scanned;
    if (keep(*rec)) page.items.push_back(std::move(*rec));
  }
  if (!at) return std::move(at).error();
  return page;
}

}  // namespace trustmon::storage
