// Epoch-partitioned DUPSORT indexes (see epoch_index.hpp).
#include "storage/epoch_index.hpp"

#include <algorithm>
#include <cstring>
#include <string>

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

// ------------------------------------------------------------------ compaction

namespace {

constexpr std::uint8_t kStateVersion = 1;

Bytes encode_state(const EpochCompactionState& st) {
  Bytes out;
  out.push_back(kStateVersion);
  out.push_back(static_cast<std::uint8_t>(kMaxEpochLevels));
  for (std::uint32_t c : st.consumed) {
    std::uint8_t b[4];
    put_be32(b, c);
    out.insert(out.end(), b, b + 4);
  }
  out.push_back(st.phase);
  out.push_back(st.level);
  for (const Bytes* part : {&st.resume_key, &st.resume_value}) {
    std::uint8_t b[4];
    put_be32(b, static_cast<std::uint32_t>(part->size()));
    out.insert(out.end(), b, b + 4);
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

Error corrupt_state() {
  return make_error(ErrorKind::storage, "storage_corrupt", "epoch compaction state is malformed");
}

// The next head (the first `prefix` octets) after `head`, big-endian; none after all 0xff.
std::optional<Bytes> next_head(Bytes head) {
  for (std::size_t i = head.size(); i > 0; --i) {
    if (head[i - 1] != 0xff) {
      ++head[i - 1];
      std::fill(head.begin() + static_cast<std::ptrdiff_t>(i), head.end(), std::uint8_t{0});
      return head;
    }
  }
  return std::nullopt;
}

struct Entry {
  Bytes key, value;
};

// Up to `max` entries of the runs [lo, hi) in table order, from the entry after
// (after_key, after_value) when given, else from the start. `ended`: the scan reached the
// last of them.
Status collect_sources(const WriteTxn& txn, Table table, std::size_t prefix, std::uint32_t lo, std::uint32_t hi,
                       const Bytes* after_key, const Bytes* after_value, std::size_t max,
                       std::vector<Entry>& out, bool& ended) {
  ended = false;
  auto cur = Cursor::open(txn, table);
  if (!cur) return std::move(cur).error();
  Result<bool> at = false;
  if (after_key != nullptr && !after_key->empty()) {
    at = cur->seek_dup(*after_key, *after_value);
    if (at && *at && same(cur->key(), *after_key) && same(cur->value(), *after_value)) at = cur->next();
    if (at && !*at) {
      // The resume entry's key has no value left at or after it: continue at the next key
      // (the least key greater than it is the key followed by a zero octet).
      Bytes past = *after_key;
      past.push_back(0);
      at = cur->seek(past);
    }
  } else {
    at = cur->seek(epoch_key(Bytes(prefix, 0), prefix, lo));
  }
  while (out.size() < max) {
    if (!at) return std::move(at).error();
    if (!*at) {
      ended = true;
      break;
    }
    const ByteView k = cur->key();
    if (k.size() < prefix + 4) {
      at = cur->next();
      continue;
    }
    const std::uint32_t id = get_be32(k.data() + prefix);
    if (id < lo) {
      at = cur->seek(epoch_key(k.first(prefix), prefix, lo));
      continue;
    }
    if (id >= hi) {
      auto head = next_head(Bytes(k.begin(), k.begin() + static_cast<std::ptrdiff_t>(prefix)));
      if (!head) {
        ended = true;
        break;
      }
      at = cur->seek(epoch_key(*head, prefix, lo));
      continue;
    }
    out.push_back({Bytes(k.begin(), k.end()), Bytes(cur->value().begin(), cur->value().end())});
    at = cur->next();
  }
  // A full chunk leaves `ended` false: whether anything is left is learnt by the next step.
  return {};
}

}  // namespace

Result<EpochCompactionState> load_compaction_state(const WriteTxn& txn, std::string_view state_key) {
  EpochCompactionState st;
  auto v = txn.get(Table::meta, as_bytes(state_key));
  if (!v) return std::move(v).error();
  if (!*v) return st;
  const ByteView b = **v;
  std::size_t at = 0;
  const auto need = [&](std::size_t n) { return at + n <= b.size(); };
  if (!need(2) || b[0] != kStateVersion || b[1] != kMaxEpochLevels) return corrupt_state();
  at = 2;
  for (std::uint32_t& c : st.consumed) {
    if (!need(4)) return corrupt_state();
    c = get_be32(b.data() + at);
    at += 4;
  }
  if (!need(2)) return corrupt_state();
  st.phase = b[at];
  st.level = b[at + 1];
  at += 2;
  if (st.phase > 2 || unsigned{st.level} + 1 >= kMaxEpochLevels) return corrupt_state();
  for (Bytes* part : {&st.resume_key, &st.resume_value}) {
    if (!need(4)) return corrupt_state();
    const std::uint32_t n = get_be32(b.data() + at);
    at += 4;
    if (!need(n)) return corrupt_state();
    part->assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
    at += n;
  }
  if (at != b.size()) return corrupt_state();
  return st;
}

Result<bool> compact_epochs_step(WriteTxn& txn, Table table, const EpochCompaction& c, std::uint32_t closed_epochs) {
  if (c.fan_in < 2 || c.max_entries == 0) {
    return make_error(ErrorKind::internal, "internal_error", "epoch compaction needs fan_in >= 2 and max_entries >= 1");
  }
  auto loaded = load_compaction_state(txn, c.state_key);
  if (!loaded) return std::move(loaded).error();
  EpochCompactionState st = std::move(*loaded);
  if (st.phase == 0) {
    bool found = false;
    for (unsigned level = 0; level + 1 < kMaxEpochLevels && !found; ++level) {
      const std::uint64_t created = level == 0 ? closed_epochs : st.consumed[level - 1] / c.fan_in;
      if (created >= std::uint64_t{st.consumed[level]} + c.fan_in) {
        st.phase = 1;
        st.level = static_cast<std::uint8_t>(level);
        st.resume_key.clear();
        st.resume_value.clear();
        found = true;
      }
    }
    if (!found) return false;
  }
  const unsigned level = st.level;
  const std::uint32_t lo = run_id(level, st.consumed[level]);
  const std::uint32_t hi = lo + c.fan_in;
  const std::uint32_t target = run_id(level + 1, st.consumed[level] / c.fan_in);
  std::vector<Entry> chunk;
  bool ended = false;
  if (st.phase == 1) {
    if (Status s = collect_sources(txn, table, c.prefix, lo, hi, &st.resume_key, &st.resume_value, c.max_entries,
                                   chunk, ended);
        !s)
      return s.error();
    for (const Entry& e : chunk) {
      Bytes k = e.key;
      set_epoch(k, c.prefix, target);
      auto put = txn.put_if_absent(table, k, e.value);
      if (!put) return std::move(put).error();
    }
    if (ended) {
      st.phase = 2;
      st.resume_key.clear();
      st.resume_value.clear();
    } else if (!chunk.empty()) {
      st.resume_key = chunk.back().key;
      st.resume_value = chunk.back().value;
    }
  } else {
    // Deleting: what is left of the sources is always at the start of the scan.
    if (Status s = collect_sources(txn, table, c.prefix, lo, hi, nullptr, nullptr, c.max_entries, chunk, ended); !s)
      return s.error();
    for (const Entry& e : chunk) {
      auto del = txn.del_value(table, e.key, e.value);
      if (!del) return std::move(del).error();
    }
    if (ended) {
      st.consumed[level] += c.fan_in;
      st.phase = 0;
      st.level = 0;
    }
  }
  if (Status s = txn.put(Table::meta, as_bytes(c.state_key), encode_state(st)); !s) return s.error();
  return true;
}

}  // namespace trustmon::storage
