// Bounded JSON (see bounded_json.hpp): a SAX handler that builds the document itself and
// stops the parser (returns false) at the first limit crossed.
#include "responder/routes/bounded_json.hpp"

#include <utility>
#include <vector>

namespace trustmon::routes {
namespace {

using nlohmann::json;

enum class Stop { none, malformed, too_deep, too_many };

class BoundedBuilder final : public nlohmann::json_sax<json> {
 public:
  BoundedBuilder(json& root, const JsonLimits& limits) : root_(root), limits_(limits) {}

  Stop stop() const noexcept { return stop_; }

  bool null() override { return add(json(nullptr)) != nullptr; }
  bool boolean(bool v) override { return add(json(v)) != nullptr; }
  bool number_integer(number_integer_t v) override { return add(json(v)) != nullptr; }
  bool number_unsigned(number_unsigned_t v) override { return add(json(v)) != nullptr; }
  bool number_float(number_float_t v, const string_t&) override { return add(json(v)) != nullptr; }
  bool string(string_t& v) override { return add(json(std::move(v))) != nullptr; }
  bool binary(binary_t&) override { return halt(Stop::malformed); }  // never from JSON text
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (++counts_.back() > limits_.max_items) return halt(Stop::too_many);
    member_ = &(*stack_.back())[std::move(k)];  // a repeated key: the last one wins, as in json::parse
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return halt(Stop::malformed);
  }

 private:
  bool halt(Stop why) {
    stop_ = why;
    return false;
  }
  // Places a value where the parser is (the root, the next array item, or the member
  // whose key was just read); nullptr when the array is full.
  json* add(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      if (++counts_.back() > limits_.max_items) {
        halt(Stop::too_many);
        return nullptr;
      }
      top.get_ref<json::array_t&>().push_back(std::move(v));
      return &top.get_ref<json::array_t&>().back();
    }
    *member_ = std::move(v);
    return member_;
  }
  bool open(json&& container) {
    if (stack_.size() >= limits_.max_depth) return halt(Stop::too_deep);
    json* at = add(std::move(container));
    if (at == nullptr) return false;
    // Pointers into the open containers stay valid: an array gets no further item while a
    // child of it is open, and object members never move.
    stack_.push_back(at);
    counts_.push_back(0);
    return true;
  }
  bool close() {
    stack_.pop_back();
    counts_.pop_back();
    return true;
  }

  json& root_;
  const JsonLimits& limits_;
  std::vector<json*> stack_;
  std::vector<std::size_t> counts_;
  json* member_ = nullptr;
  Stop stop_ = Stop::none;
};

}  // namespace

Result<nlohmann::json> parse_bounded_json(ByteView text, const JsonLimits& limits) {
  json root;
  BoundedBuilder builder(root, limits);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const std::exception&) {
    ok = false;  // allocation failure: refuse like malformed input
  }
  if (ok && builder.stop() == Stop::none) return root;
  switch (builder.stop()) {
    case Stop::too_many:
      return limits.too_many;
    case Stop::too_deep:
      return make_error(ErrorKind::invalid, "json_malformed",
                        "the body nests deeper than " + std::to_string(limits.max_depth) + " levels");
    default:
      return make_error(ErrorKind::invalid, "json_malformed", limits.malformed_message);
  }
}

}  // namespace trustmon::routes
