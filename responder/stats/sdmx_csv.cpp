#include "responder/stats/sdmx_csv.hpp"

namespace trustmon::stats {

std::string csv_column(std::string_view dimension) {
  std::string out(dimension);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace trustmon::stats
