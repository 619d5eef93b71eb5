// Task: a move-only `void()` callable, so work posted to a worker loop may own move-only
// state (a Request, a unique_ptr). std::function would demand copyable captures.
// One heap allocation per task; tasks are for cross-thread hand-offs, not the hot path.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace trustmon::http {

class Task {
 public:
  Task() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Task> &&
                                                    std::is_invocable_v<std::decay_t<F>&>>>
  Task(F&& f)  // NOLINT(google-explicit-constructor): lambdas convert implicitly, like std::function
      : impl_(std::make_unique<Model<std::decay_t<F>>>(std::forward<F>(f))) {}

  Task(Task&&) noexcept = default;
  Task& operator=(Task&&) noexcept = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  void operator()() { impl_->call(); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual void call() = 0;
  };
  template <typename F>
  struct Model final : Concept {
    template <typename G>
    explicit Model(G&& g) : fn(std::forward<G>(g)) {}
    void call() override { fn(); }
    F fn;
  };
  std::unique_ptr<Concept> impl_;
};

}  // namespace trustmon::http
