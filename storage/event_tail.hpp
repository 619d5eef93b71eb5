// Following the event log. The threads that deliver committed events (responder/feed,
// the webhook dispatcher in responder/watch) and the audit query each keep a position,
// the last sequence they examined, and read what follows it; EventTail is that read.
//
// Policy:
//  * a read runs inside the caller's snapshot (its ReadScope or WriteTxn), so what the
//    callback looks up in the same transaction matches the event;
//  * at most batch() events per read, so a snapshot stays short; the caller reads again
//    after Read::last while Read::more says something follows;
//  * events arrive decoded, in sequence order; the callback gets each as an
//    EventRecord&& (it may keep it) and returns what a walk callback returns
//    (storage/scan.hpp: void, bool = go on, Status, Result<bool>);
//  * an undecodable event ends the read with "storage_corrupt" naming its sequence; the
//    events before it were handed over, and the next read stops at it again: a follower
//    never skips an event. Wakeups and batching across reads stay with the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "common/result.hpp"
#include "storage/event_log.hpp"
#include "storage/lmdb.hpp"
#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::storage {

class EventTail {
 public:
  struct Read {
    std::uint64_t last = 0;  // sequence of the last event handed over (`after` when none was)
    std::size_t events = 0;  // events handed over
    bool more = false;       // an event follows `last` in this snapshot
  };

  explicit EventTail(std::size_t batch) noexcept : batch_(batch == 0 ? 1 : batch) {}
  std::size_t batch() const noexcept { return batch_; }

  // Hands `fn` the events after sequence `after`, at most batch() of them.
  template <Transaction Txn, class Fn>
  Result<Read> read(const Txn& txn, std::uint64_t after, Fn&& fn) const;

 private:
  static Error undecodable(ByteView key, const Error& why) {
    const std::string seq = key.size() == 8 ? " " + std::to_string(get_be64(key.data())) : std::string();
    return make_error(ErrorKind::storage, "storage_corrupt", "undecodable event" + seq + ": " + why.message);
  }

  std::size_t batch_;
};

template <Transaction Txn, class Fn>
Result<EventTail::Read> EventTail::read(const Txn& txn, std::uint64_t after, Fn&& fn) const {
  Read slice;
  slice.last = after;
  if (after == std::numeric_limits<std::uint64_t>::max()) return slice;  // no sequence follows it
  auto cur = Cursor::open(txn, Table::events);
  if (!cur) return std::move(cur).error();
  bool stopped = false;  // fn ended the read: look one past it for `more`
  Status walked = for_each(*cur, cur->seek(encode_event_key(after + 1)),
                           [&](ByteView key, ByteView value) -> Result<bool> {
                             if (slice.events == batch_) {
                               slice.more = true;
                               return false;
                             }
                             auto event = decode_event(key, value);
                             if (!event) return undecodable(key, event.error());
                             slice.last = event->seq;
                             ++slice.events;
                             Status error;
                             if (scan_detail::visit(fn, error, std::move(*event))) return true;
                             if (!error) return std::move(error).error();
                             stopped = true;
                             return false;
                           });
  if (!walked) return std::move(walked).error();
  if (stopped) {
    auto next = cur->next();
    if (!next) return std::move(next).error();
    slice.more = *next;
  }
  return slice;
}

}  // namespace trustmon::storage
