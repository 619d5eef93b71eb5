#include "responder/routes/worker_state.hpp"

#include <stdexcept>
#include <string>

#include "responder/http/server.hpp"

namespace trustmon::routes {

void WorkerStates::attach(http::Server& server) {
  server.on_worker_start([this](http::Worker& w) { open(w); });
  server.on_worker_stop([this](http::Worker& w) { close(w); });
}

void WorkerStates::open(http::Worker& worker) {
  auto txn = storage::ReadTxn::begin(env_);
  if (!txn) throw std::runtime_error("cannot begin a read transaction: " + txn.error().message);
  std::lock_guard lock(mu_);
  auto [it, added] = states_.try_emplace(worker.index(), std::move(*txn));
  if (!added) throw std::logic_error("worker state opened twice");
  worker.set_user(&it->second);
}

void WorkerStates::close(http::Worker& worker) {
  worker.set_user(nullptr);
  std::lock_guard lock(mu_);
  states_.erase(worker.index());  // ends the read transaction on the worker's own thread
}

}  // namespace trustmon::routes
