// Counts the C++ heap allocations (operator new) made on any thread while an
// AllocationCount is alive. This test binary replaces the global operator new and delete
// (alloc_counter.cpp, a TU of its own so no call site sees malloc and delete together).
#pragma once

#include <cstddef>

namespace trustmon::testing {

class AllocationCount {
 public:
  AllocationCount() noexcept;
  ~AllocationCount();
  AllocationCount(const AllocationCount&) = delete;
  AllocationCount& operator=(const AllocationCount&) = delete;
  std::size_t allocations() const noexcept;  // operator new calls so far
  std::size_t bytes() const noexcept;        // bytes they asked for
};

}  // namespace trustmon::testing
