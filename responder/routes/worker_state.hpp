// Per-worker state the routes need: the worker's reusable LMDB read transaction.
// main creates one per worker in the server's start hook (on the worker thread) and
// stores it in the worker's user slot; handlers reach it through the request.
#pragma once

#include <memory>

#include "responder/http/request.hpp"
#include "responder/http/worker.hpp"
#include "storage/lmdb.hpp"

namespace trustmon::routes {

struct WorkerState {
  explicit WorkerState(storage::ReadTxn t) : txn(std::move(t)) {}
  storage::ReadTxn txn;
};

inline WorkerState& worker_state(http::Request& req) { return *req.worker().user_as<WorkerState>(); }

}  // namespace trustmon::routes
