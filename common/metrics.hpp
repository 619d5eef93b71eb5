// MetricsText: Prometheus text exposition (format 0.0.4), written one family at a time.
// Each owner of counters renders its own families through this helper into the one
// /metrics body; nobody concatenates "# TYPE" lines by hand. Names and label values are
// the caller's constants (no escaping is done), so only fixed strings may be passed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trustmon {

class MetricsText {
 public:
  explicit MetricsText(std::string& out) : out_(out) {}

  // One unlabelled sample with its HELP and TYPE lines.
  void counter(std::string_view name, std::string_view help, std::uint64_t value) {
    header(name, "counter", help);
    sample(name, value);
  }
  void gauge(std::string_view name, std::string_view help, std::int64_t value) {
    header(name, "gauge", help);
    sample(name, value);
  }
  void gauge(std::string_view name, std::string_view help, double value) {
    header(name, "gauge", help);
    out_ += name;
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }

  // A family with samples added by sample() below: HELP and TYPE once.
  void header(std::string_view name, std::string_view type, std::string_view help) {
    if (!help.empty()) {
      out_ += "# HELP ";
      out_ += name;
      out_ += ' ';
      out_ += help;
      out_ += '\n';
    }
    out_ += "# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  template <typename Int>
  void sample(std::string_view name, Int value) {
    out_ += name;
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }
  // name{label="value"} n
  template <typename Int>
  void sample(std::string_view name, std::string_view label, std::string_view label_value, Int value) {
    out_ += name;
    out_ += '{';
    out_ += label;
    out_ += "=\"";
    out_ += label_value;
    out_ += "\"} ";
    out_ += std::to_string(value);
    out_ += '\n';
  }

 private:
  std::string& out_;
};

}  // namespace trustmon
