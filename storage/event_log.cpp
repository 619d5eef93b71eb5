// The hash-chained event log (see event_log.hpp). Value layout:
//   u8 format | be64 time | 32 prev_hash | be16 len + type | be16 len + actor |
//   be32 len + payload
// The chain alone cannot reveal an edit of the LAST event (nothing links to it yet), so
// append_event also keeps meta["events_head"] = be64(last seq) || hash(last event) in
// the same transaction, and verify_event_chain compares it with what it walked.
#include "storage/event_log.hpp"

#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "storage/records.hpp"
#include "storage/scan.hpp"

namespace trustmon::storage {
namespace {

constexpr std::uint8_t kEventFormat = 1;
constexpr std::string_view kHeadKey = kMetaEventsHead;
constexpr std::size_t kHeadSize = 8 + 32;

Error corrupt_event(const std::string& why) {
  return make_error(ErrorKind::storage, "storage_corrupt", "event record: " + why);
}

Bytes encode_event_value(const EventIn& e, const Sha256& prev) {
  Bytes out;
  out.reserve(1 + 8 + 32 + 2 + e.type.size() + 2 + e.actor.size() + 4 + e.payload.size());
  out.push_back(kEventFormat);
  std::uint8_t b[8];
  put_be64(b, static_cast<std::uint64_t>(e.time));
  out.insert(out.end(), b, b + 8);
  out.insert(out.end(), prev.begin(), prev.end());
  auto put16 = [&out](const std::string& s) {
    out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
  };
  put16(e.type);
  put16(e.actor);
  std::uint8_t l[4];
  put_be32(l, static_cast<std::uint32_t>(e.payload.size()));
  out.insert(out.end(), l, l + 4);
  out.insert(out.end(), e.payload.begin(), e.payload.end());
  return out;
}

Bytes encode_head(std::uint64_t seq, const Sha256& hash) {
  Bytes out(kHeadSize);
  put_be64(out.data(), seq);
  std::memcpy(out.data() + 8, hash.data(), hash.size());
  return out;
}

ChainCheck broken(ChainCheck c, std::uint64_t seq, std::string reason) {
  c.ok = false;
  c.first_broken = seq;
  c.reason = std::move(reason);
  return c;
}

}  // namespace

Sha256 event_hash(ByteView key, ByteView value) {
  Bytes buf;
  buf.reserve(key.size() + value.size());
  buf.insert(buf.end(), key.begin(), key.end());
  buf.insert(buf.end(), value.begin(), value.end());
  return sha256(buf);
}

Result<EventRecord> decode_event(ByteView key, ByteView value) {
  if (key.size() != 8) return corrupt_event("key is not 8 bytes");
  EventRecord r;
  r.seq = get_be64(key.data());
  std::size_t pos = 0;
  auto need = [&](std::size_t n) { return value.size() - pos >= n; };
  if (!need(1 + 8 + 32)) return corrupt_event("truncated header");
  if (value[0] != kEventFormat) return corrupt_event("unknown format");
  pos = 1;
  r.time = static_cast<UnixTime>(get_be64(value.data() + pos));
  pos += 8;
  std::memcpy(r.prev_hash.data(), value.data() + pos, r.prev_hash.size());
  pos += 32;
  auto take = [&](std::size_t len_bytes, std::string& out) {
    if (!need(len_bytes)) return false;
    std::size_t n = 0;
    for (std::size_t i = 0; i < len_bytes; ++i) n = (n << 8) | value[pos + i];
    pos += len_bytes;
    if (!need(n)) return false;
    out.assign(reinterpret_cast<const char*>(value.data() + pos), n);
    pos += n;
    return true;
  };
  if (!take(2, r.type) || !take(2, r.actor) || !take(4, r.payload)) {
    return corrupt_event("truncated field");
  }
  if (pos != value.size()) return corrupt_event("trailing bytes");
  return r;
}

Result<std::uint64_t> append_event(WriteTxn& txn, const EventIn& event) {
  constexpr std::size_t kMax16 = std::numeric_limits<std::uint16_t>::max();
  if (event.type.size() > kMax16 || event.actor.size() > kMax16 ||
      event.payload.size() > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(ErrorKind::invalid, "event_too_large", "event type, actor or payload too long");
  }

  std::uint64_t seq = 1;
  Sha256 prev{};
  auto last = last_entry(txn, Table::events);
  if (!last) return std::move(last).error();
  if (*last) {
    const Entry& tail = **last;
    if (tail.key.size() != 8) return corrupt_event("last event key is not 8 bytes");
    const std::uint64_t last_seq = get_be64(tail.key.data());
    if (last_seq == std::numeric_limits<std::uint64_t>::max()) return corrupt_event("sequence exhausted");
    seq = last_seq + 1;
    prev = event_hash(tail.key, tail.value);
  }

  const Bytes key = encode_event_key(seq);
  const Bytes value = encode_event_value(event, prev);
  auto inserted = txn.put_if_absent(Table::events, key, value);
  if (!inserted.ok()) return std::move(inserted).error();
  if (!*inserted) return corrupt_event("sequence " + std::to_string(seq) + " already exists");
  Status head = txn.put(Table::meta, as_bytes(kHeadKey), encode_head(seq, event_hash(key, value)));
  if (!head.ok()) return std::move(head).error();
  return seq;
}

namespace {
template <class Txn>
Result<std::uint64_t> last_event_seq_in(const Txn& txn) {
  auto last = last_entry(txn, Table::events);
  if (!last) return std::move(last).error();
  if (!*last) return std::uint64_t{0};
  if ((*last)->key.size() != 8) return corrupt_event("last event key is not 8 bytes");
  return get_be64((*last)->key.data());
}
}  // namespace

Result<std::uint64_t> last_event_seq(const ReadTxn& txn) { return last_event_seq_in(txn); }
Result<std::uint64_t> last_event_seq(const WriteTxn& txn) { return last_event_seq_in(txn); }

Result<ChainCheck> verify_event_chain(const ReadTxn& txn) {
  ChainCheck check;
  std::uint64_t expected = 1;
  std::uint64_t last_seq = 0;
  Sha256 prev{};  // hash the next event must carry; all zero before event 1
  std::optional<ChainCheck> broken_at;  // the first broken link ends the walk
  Status walked = for_each(txn, Table::events, [&](ByteView key, ByteView value) {
    ++check.events;
    if (key.size() != 8) {
      broken_at = broken(check, expected, "undecodable (key of " + std::to_string(key.size()) +
                                              " bytes after event " + std::to_string(last_seq) + ")");
      return false;
    }
    const std::uint64_t seq = get_be64(key.data());
    if (seq != expected) {
      broken_at = broken(check, seq, "sequence gap (expected " + std::to_string(expected) + ", found " +
                                         std::to_string(seq) + ")");
      return false;
    }
    auto rec = decode_event(key, value);
    if (!rec.ok()) {
      broken_at = broken(check, seq, "undecodable (" + rec.error().message + ")");
      return false;
    }
    if (rec->prev_hash != prev) {
      broken_at = broken(check, seq, seq == 1 ? std::string("prev_hash mismatch (event 1 must link to zero)")
                                              : "prev_hash mismatch (event " + std::to_string(seq - 1) +
                                                    " altered or removed)");
      return false;
    }
    prev = event_hash(key, value);
    last_seq = seq;
    ++expected;
    return true;
  });
  if (!walked) return std::move(walked).error();
  if (broken_at) return std::move(*broken_at);

  // The head names the last appended event; it catches an edit or removal at the tail.
  auto head = txn.get(Table::meta, as_bytes(kHeadKey));
  if (!head.ok()) return std::move(head).error();
  std::uint64_t head_seq = 0;
  Sha256 head_hash{};
  if (head->has_value()) {
    const ByteView h = **head;
    if (h.size() != kHeadSize) {
      return broken(check, last_seq == 0 ? 1 : last_seq, "head mismatch (head record undecodable)");
    }
    head_seq = get_be64(h.data());
    std::memcpy(head_hash.data(), h.data() + 8, head_hash.size());
  }
  if (head_seq > last_seq) {
    return broken(check, last_seq + 1,
                  "head mismatch (events " + std::to_string(last_seq + 1) + ".." +
                      std::to_string(head_seq) + " removed)");
  }
  if (head_seq < last_seq) {
    return broken(check, head_seq + 1,
                  "head mismatch (events " + std::to_string(head_seq + 1) + ".." +
                      std::to_string(last_seq) + " not appended through the log)");
  }
  if (last_seq != 0 && head_hash != prev) {
    return broken(check, last_seq,
                  "head mismatch (event " + std::to_string(last_seq) + " altered)");
  }
  return check;
}

}  // namespace trustmon::storage
