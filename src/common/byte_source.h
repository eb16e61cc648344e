#pragma once

// A body that is read in pieces rather than held in memory: an S3 object streamed from the blob
// store to a socket. Shared by the HTTP server (which sends it) and the services (which make
// it), so neither needs the other's types.
//
// Thread-safety: one reader at a time.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/expected.h"

namespace lamina {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // How many bytes Read will give in all.
  virtual uint64_t size() const = 0;
  // Copies the next bytes into `buffer` (up to `capacity`); 0 once all size() bytes were read.
  // An error (a blob file gone or unreadable) ends the transfer: the connection is closed.
  virtual Expected<size_t, std::string> Read(char* buffer, size_t capacity) = 0;
};

}  // namespace lamina
