// CSV fields as RFC 4180 asks (quoted only when they hold a comma, a quote or a line end),
// for every CSV trustmon writes: statistics (SDMX-CSV), the holder's certificates, the
// joining queue.
#pragma once

#include <string>
#include <string_view>

namespace trustmon {

// The value as it is (data files: SDMX-CSV).
void append_csv_field(std::string& out, std::string_view value);
// Free text a person typed or a certificate carries, for spreadsheets: a value starting with
// = + - @ or a tab gets a leading apostrophe, so no spreadsheet reads it as a formula.
void append_csv_text(std::string& out, std::string_view value);
// One row of free-text fields (append_csv_text), comma-separated, ended by CRLF.
template <typename Fields>
void append_csv_row(std::string& out, const Fields& fields) {
  bool first = true;
  for (const auto& f : fields) {
    if (!first) out += ',';
    first = false;
    append_csv_text(out, f);
  }
  out += "\r\n";
}

}  // namespace trustmon
