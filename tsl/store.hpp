// Trusted-list storage in LMDB: the editable model and the published versions.
//
// Layout (keys start with the list name so several lists can coexist; a name is 1..64
// bytes of [A-Za-z0-9._-], so it never contains the 0x00 separator):
//   tl_model:    name || 0x00 || 0x01                 -> scheme record
//                name || 0x00 || 0x02 || be32 index   -> provider record (TSP + services)
//   tl_versions: name || 0x00 || be64 sequence        -> VersionRecord
// Every value starts with a format byte (kModelFormat / kVersionFormat). Strings and
// byte fields are be32 length + bytes; optional fields carry a presence byte; times are
// be64 two's complement. Decoders check every length ("storage_corrupt" otherwise).
// store_model() replaces all records of a list in one transaction, so providers keep
// their list order and a reader never sees half a model.
//
// Sequence numbers: the next published TSLSequenceNumber is max(last published,
// sequence of the imported model) + 1, so it strictly increases across restarts and
// after importing an existing list.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/actor.hpp"
#include "common/ossl.hpp"
#include "common/result.hpp"
#include "storage/lmdb.hpp"
#include "storage/writer.hpp"
#include "tsl/model.hpp"

namespace trustmon::tsl {

inline constexpr std::uint8_t kModelFormat = 1;
inline constexpr std::uint8_t kVersionFormat = 1;
inline constexpr std::size_t kMaxListName = 64;

bool valid_list_name(std::string_view name);

struct PublishedVersion {
  std::string list_name;
  std::uint64_t sequence = 0;
  UnixTime issued = 0;                  // ListIssueDateTime
  std::optional<UnixTime> next_update;  // NextUpdate (nullopt: closed list)
  Sha256 sha256{};                      // of `xml`
  std::string xml;                      // the signed list, byte for byte as published
  std::vector<std::string> warnings;    // signer warnings at publication (not stored)
};

// Model records. Errors: "tl_invalid_name", "storage_*", "storage_corrupt".
Status store_model(storage::WriteTxn& txn, std::string_view name, const TrustedList& list);
Result<std::optional<TrustedList>> load_model(const storage::ReadTxn& txn, std::string_view name);
Result<std::optional<TrustedList>> load_model(const storage::WriteTxn& txn, std::string_view name);
// Names of every list that has a model, in byte order.
Result<std::vector<std::string>> list_names(const storage::ReadTxn& txn);

// Versions. Summaries leave `xml` empty.
Status put_version(storage::WriteTxn& txn, const PublishedVersion& version);
Result<std::optional<PublishedVersion>> get_current(const storage::ReadTxn& txn, std::string_view name);
Result<std::optional<PublishedVersion>> get_version(const storage::ReadTxn& txn, std::string_view name,
                                                    std::uint64_t sequence);
Result<std::vector<PublishedVersion>> list_versions(const storage::ReadTxn& txn, std::string_view name);

// A stored version read without copying the signed bytes: `xml` points into the LMDB
// map and is valid only until the read transaction is reset (serve it, then let go).
struct VersionView {
  std::uint64_t sequence = 0;
  UnixTime issued = 0;
  std::optional<UnixTime> next_update;
  Sha256 sha256{};
  std::string_view xml;
};
// sequence 0 = the current (last published) version; nullopt when there is none.
Result<std::optional<VersionView>> find_version_view(const storage::ReadTxn& txn, std::string_view name,
                                                     std::uint64_t sequence);
// 0 when nothing was published.
Result<std::uint64_t> last_published_sequence(const storage::ReadTxn& txn, std::string_view name);
Result<std::uint64_t> last_published_sequence(const storage::WriteTxn& txn, std::string_view name);

// Import: parses a TS 119 612 file (any signature is not verified and not kept) and
// stores it as the model of `name`, replacing any model, with an event "tl.imported".
struct ImportResult {
  std::uint64_t sequence_number = 0;  // as in the file; the next publish is above it
  std::size_t providers = 0;
  std::size_t services = 0;
  bool was_signed = false;
};
// `stop_requested`, when given, is asked after the file is read and before anything is
// written: true refuses with 503 "shutting_down" (the service is stopping).
Result<ImportResult> import_list(storage::Writer& writer, std::string_view name, std::string_view xml,
                                 const Actor& actor, const Clock& clock,
                                 const std::function<bool()>& stop_requested = {});

// Record codecs (exposed for tests and tools).
Bytes encode_model_scheme(const TrustedList& list);
Bytes encode_model_provider(const TrustServiceProvider& provider);
Bytes encode_version(const PublishedVersion& version);
Result<PublishedVersion> decode_version(std::string_view name, ByteView value, bool with_xml = true);

}  // namespace trustmon::tsl
