// ExpirySweeper: calls CsrService::sweep_expired() every `interval` on its own thread, so
// reservations past their TTL are stored as expired (and their keys freed for good)
// even when nobody reads them. Reads already treat them as expired; this keeps the
// stored state and the audit trail in step.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "responder/csr/service.hpp"

namespace trustmon::csr {

class ExpirySweeper {
 public:
  ExpirySweeper(CsrService& service, std::chrono::milliseconds interval) : service_(service), interval_(interval) {}
  ~ExpirySweeper() { stop(); }
  ExpirySweeper(const ExpirySweeper&) = delete;
  ExpirySweeper& operator=(const ExpirySweeper&) = delete;

  void start();
  void stop();

 private:
  void loop();
  CsrService& service_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace trustmon::csr
