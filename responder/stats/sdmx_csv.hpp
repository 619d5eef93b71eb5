// The SDMX-CSV pieces every statistics CSV shares (series, yearly bundle, reports): a field
// quoted as RFC 4180 asks (only when it holds a comma, a quote or a line end), and a
// dimension's column name (the dimension in upper case: key_alg -> KEY_ALG).
#pragma once

#include <string>
#include <string_view>

namespace trustmon::stats {

void append_csv_field(std::string& out, std::string_view value);
std::string csv_column(std::string_view dimension);

}  // namespace trustmon::stats
