// The SDMX-CSV pieces every statistics CSV shares (series, yearly bundle, reports): a field
// (common/csv.hpp, as it is) and a dimension's column name (the dimension in upper case:
// key_alg -> KEY_ALG).
#pragma once

#include <string>
#include <string_view>

#include "common/csv.hpp"

namespace trustmon::stats {

using trustmon::append_csv_field;  // common/csv.hpp
std::string csv_column(std::string_view dimension);

}  // namespace trustmon::stats
