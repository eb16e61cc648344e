#include "common/ids.h"

#include <cstdint>
#include <random>

namespace lamina {

namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return generator;
}

}  // namespace

std::string RandomHex(size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(length);
  uint64_t bits = 0;
  for (size_t i = 0; i < length; ++i) {
    if (i % 16 == 0) bits = Generator()();
    out.push_back(kDigits[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

std::string NewUuid() {
  std::string hex = RandomHex(32);
  hex[12] = '4';
  hex[16] = "89ab"[hex[16] % 4];
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20);
}

}  // namespace lamina
