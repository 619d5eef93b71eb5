// Walks over one table: every entry, the entries from a key on, or the entries sharing a
// key prefix, handed to a callback in key order; and the table's last entry. This is the
// one cursor loop: modules walk tables through it instead of writing their own.
//
// Policy:
//  * the callback gets (ByteView key, ByteView value); the views die with the
//    transaction (lmdb.hpp), so it copies out what must outlive it;
//  * it returns void (visit everything), bool (false stops the walk: not an error),
//    Status (an error stops the walk) or Result<bool> (both);
//  * the first error, LMDB's or the callback's, ends the walk and is what the walk
//    returns; nothing after it runs;
//  * a walk that takes a transaction opens its cursor and closes it before returning,
//    so the cursor cannot outlive the transaction. The forms that take a Cursor walk one
//    the caller positioned and still owns (to start after a key, or to look one past the
//    walk: a page's "is there more");
//  * the callback is a template parameter, not std::function: walks run on hot paths
//    (the OCSP refresher, search pages) and the call inlines.
#pragma once

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::storage {

template <class T>
concept Transaction = std::same_as<T, ReadTxn> || std::same_as<T, WriteTxn>;

namespace scan_detail {

template <class>
inline constexpr bool kUnsupported = false;

// Calls fn(args...) and says whether to go on; an error of fn lands in `error`.
template <class Fn, class... Args>
bool visit(Fn& fn, Status& error, Args&&... args) {
  using R = std::invoke_result_t<Fn&, Args...>;
  if constexpr (std::is_void_v<R>) {
    fn(std::forward<Args>(args)...);
    return true;
  } else if constexpr (std::is_same_v<R, bool>) {
    return fn(std::forward<Args>(args)...);
  } else if constexpr (std::is_same_v<R, Status>) {
    Status s = fn(std::forward<Args>(args)...);
    if (s) return true;
    error = std::move(s);
    return false;
  } else if constexpr (std::is_same_v<R, Result<bool>>) {
    Result<bool> r = fn(std::forward<Args>(args)...);
    if (r) return *r;
    error = std::move(r).error();
    return false;
  } else {
    static_assert(kUnsupported<R>, "a walk's callback returns void, bool, Status or Result<bool>");
    return false;
  }
}

template <class>
struct ResultValue;
template <class T>
struct ResultValue<Result<T>> {
  using type = T;
};

}  // namespace scan_detail

// From the entry `at` left `cur` on (`at` is the result of a positioning call:
// cur.first(), cur.seek(key), ...) to the end of the table, or until `fn` stops.
template <class Fn>
Status for_each(Cursor& cur, Result<bool> at, Fn&& fn) {
  Status error;
  for (;; at = cur.next()) {
    if (!at) return std::move(at).error();
    if (!*at) return {};
    if (!scan_detail::visit(fn, error, cur.key(), cur.value())) return error;  // ok when fn stopped
  }
}

// As above, ending at the first key that does not start with `prefix`.
template <class Fn>
Status for_each_prefix(Cursor& cur, Result<bool> at, ByteView prefix, Fn&& fn) {
  Status error;
  for (;; at = cur.next()) {
    if (!at) return std::move(at).error();
    if (!*at || !has_prefix(cur.key(), prefix)) return {};
    if (!scan_detail::visit(fn, error, cur.key(), cur.value())) return error;
  }
}

// Every entry of table `t`.
template <Transaction Txn, class Fn>
Status for_each(const Txn& txn, Table t, Fn&& fn) {
  auto cur = Cursor::open(txn, t);
  if (!cur) return std::move(cur).error();
  return for_each(*cur, cur->first(), fn);
}

// The entries of table `t` whose key is >= `from` (empty: every entry).
template <Transaction Txn, class Fn>
Status for_each_from(const Txn& txn, Table t, ByteView from, Fn&& fn) {
  auto cur = Cursor::open(txn, t);
  if (!cur) return std::move(cur).error();
  // LMDB refuses an empty key to seek to; every key is >= it.
  return for_each(*cur, from.empty() ? cur->first() : cur->seek(from), fn);
}

// The entries of table `t` whose key starts with `prefix` (empty: every entry).
template <Transaction Txn, class Fn>
Status for_each_prefix(const Txn& txn, Table t, ByteView prefix, Fn&& fn) {
  auto cur = Cursor::open(txn, t);
  if (!cur) return std::move(cur).error();
  return for_each_prefix(*cur, prefix.empty() ? cur->first() : cur->seek(prefix), prefix, fn);
}

// Every value of table `t` decoded with `decode` (ByteView -> Result<R>), in key order,
// kept when keep(const R&) is true. An undecodable value is the walk's error: a listing
// never silently drops a record.
template <Transaction Txn, class Decode, class Keep>
auto collect(const Txn& txn, Table t, Decode&& decode, Keep&& keep)
    -> Result<std::vector<typename scan_detail::ResultValue<std::invoke_result_t<Decode&, ByteView>>::type>> {
  using Record = typename scan_detail::ResultValue<std::invoke_result_t<Decode&, ByteView>>::type;
  std::vector<Record> out;
  Status walked = for_each(txn, t, [&](ByteView, ByteView value) -> Status {
    auto record = decode(value);
    if (!record) return std::move(record).error();
    if (keep(std::as_const(*record))) out.push_back(std::move(*record));
    return {};
  });
  if (!walked) return std::move(walked).error();
  return out;
}

template <Transaction Txn, class Decode>
auto collect(const Txn& txn, Table t, Decode&& decode) {
  return collect(txn, t, decode, [](const auto&) { return true; });
}

struct Entry {
  ByteView key;
  ByteView value;
};

// The last entry of table `t` (nullopt when the table is empty). The views point into
// the map and live as long as the transaction (until its next write, for a WriteTxn).
template <Transaction Txn>
Result<std::optional<Entry>> last_entry(const Txn& txn, Table t) {
  auto cur = Cursor::open(txn, t);
  if (!cur) return std::move(cur).error();
  auto at = cur->last();
  if (!at) return std::move(at).error();
  if (!*at) return std::optional<Entry>();
  return std::optional<Entry>(Entry{cur->key(), cur->value()});
}

// The next number of a table keyed by be64 numbers (filed records: requests, reports,
// applications, reservations): the last key + 1, or 1 when the table is empty. Called in
// the Writer (one writer, so the allocation is race-free). A last key that is not 8 octets is
// storage_corrupt.
inline Result<std::uint64_t> next_number(const WriteTxn& txn, Table t) {
  auto last = last_entry(txn, t);
  if (!last) return std::move(last).error();
  if (!*last) return std::uint64_t{1};
  if ((*last)->key.size() != 8)
    return make_error(ErrorKind::storage, "storage_corrupt", std::string(table_name(t)) + ": a key is not a be64 number");
  return get_be64((*last)->key.data()) + 1;
}

}  // namespace trustmon::storage
