// Per-worker state the routes need: the worker's reusable LMDB read transaction.
//
// WorkerStates owns one WorkerState per worker of a server. Its hooks open a worker's state
// on that worker's thread before its loop starts (an LMDB read transaction belongs to the
// thread that began it) and close it there after the loop ended. Handlers reach their
// worker's state through worker_state(req), the one typed accessor of the worker's slot.
#pragma once

#include <optional>

#include <cstddef>
#include <map>
#include <mutex>

#include "responder/http/request.hpp"
#include "responder/http/worker.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::http {
class Server;
}

namespace trustmon::routes {

// A read snapshot of its own, for work the routes hand to their pools (off the worker's
// thread, which keeps its WorkerState transaction): open() begins it, the destructor ends it.
struct Snapshot {
  std::optional<storage::ReadTxn> txn;
  std::optional<storage::ReadScope> scope;
  Status open(storage::Env& env) {
    auto t = storage::ReadTxn::begin(env);
    if (!t) return std::move(t).error();
    txn.emplace(std::move(*t));
    scope.emplace(*txn);
    return scope->status();
  }
};

struct WorkerState {
  explicit WorkerState(storage::ReadTxn t) : txn(std::move(t)) {}
  storage::ReadTxn txn;
};

class WorkerStates {
 public:
  explicit WorkerStates(storage::Env& env) : env_(env) {}
  WorkerStates(const WorkerStates&) = delete;
  WorkerStates& operator=(const WorkerStates&) = delete;

  // Installs the server's worker start and stop hooks; call before server.start(). This
  // object must outlive the server's workers (declare it before the server). A worker
  // whose read transaction cannot begin stops the server (its start hook throws).
  void attach(http::Server& server);

 private:
  void open(http::Worker& worker);
  void close(http::Worker& worker);

  storage::Env& env_;
  mutable std::mutex mu_;
  std::map<unsigned, WorkerState> states_;  // by worker index; a node never moves
};

// The state of the worker running this request (set by WorkerStates before any request).
inline WorkerState& worker_state(http::Request& req) { return *req.worker().user_as<WorkerState>(); }

}  // namespace trustmon::routes
