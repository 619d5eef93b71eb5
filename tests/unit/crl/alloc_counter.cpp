// Global operator new/delete on malloc/free, counting while an AllocationCount is alive.
#include "tests/unit/crl/alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<std::size_t> g_allocations{0};
std::atomic<std::size_t> g_bytes{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(n, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace trustmon::testing {

AllocationCount::AllocationCount() noexcept {
  g_allocations = 0;
  g_bytes = 0;
  g_counting = true;
}
AllocationCount::~AllocationCount() { g_counting = false; }
std::size_t AllocationCount::allocations() const noexcept { return g_allocations; }
std::size_t AllocationCount::bytes() const noexcept { return g_bytes; }

}  // namespace trustmon::testing
