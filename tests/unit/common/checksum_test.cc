// The checksums S3 carries (x-amz-checksum-*, Content-MD5, ETag): published vectors, and the
// incremental and hardware paths agreeing with the one-shot and table paths.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/hashing.h"

namespace lamina {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

std::string RandomBytes(std::mt19937& random, size_t size) {
  std::string out(size, '\0');
  std::uniform_int_distribution<int> byte(0, 255);
  for (char& c : out) c = static_cast<char>(byte(random));
  return out;
}

// Splits `data` at random points (including empty pieces) so incremental hashers see every
// kind of boundary.
std::vector<std::string_view> RandomSplit(std::mt19937& random, std::string_view data) {
  std::vector<std::string_view> pieces;
  while (!data.empty()) {
    std::uniform_int_distribution<size_t> length(0, std::min<size_t>(data.size(), 100));
    size_t take = length(random);
    pieces.push_back(data.substr(0, take));
    data.remove_prefix(take);
  }
  return pieces;
}

struct CrcVector {
  const char* name;
  std::string data;
  uint32_t crc32c;
};

TEST(ChecksumCrc32c, PublishedVectors) {
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  const std::vector<CrcVector> vectors = {
      {"empty", "", 0x00000000u},
      {"check value", "123456789", 0xE3069283u},
      // RFC 3720 (iSCSI) appendix B.4.
      {"32 zero bytes", std::string(32, '\0'), 0x8A9136AAu},
      {"32 0xFF bytes", std::string(32, '\xff'), 0x62A8AB43u},
      {"32 ascending bytes", ascending, 0x46DD794Eu},
      {"32 descending bytes", descending, 0x113FDB5Cu},
  };
  for (const auto& vector : vectors) {
    SCOPED_TRACE(vector.name);
    EXPECT_EQ(Crc32c(vector.data), vector.crc32c);
    EXPECT_EQ(detail::Crc32cPortable(vector.data, 0), vector.crc32c);
    if (detail::Crc32cHardwareAvailable()) {
      EXPECT_EQ(detail::Crc32cHardware(vector.data, 0), vector.crc32c);
    }
  }
}

TEST(ChecksumCrc32c, MatchesTheAwsTrailerExample) {
  // sigv4-streaming-trailers: 66560 bytes of 'a' carry x-amz-checksum-crc32c:sOO8/Q==.
  EXPECT_EQ(Base64Encode(Crc32Bytes(Crc32c(std::string(66560, 'a')))), "sOO8/Q==");
}

TEST(ChecksumCrc32c, HardwareAndTablePathsAgreeOnEveryLengthAndAlignment) {
  if (!detail::Crc32cHardwareAvailable()) GTEST_SKIP() << "no SSE4.2 crc32 instruction";
  std::mt19937 random(1234);
  std::string buffer = RandomBytes(random, 4096 + 64);
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t length = 0; length <= 300; ++length) {
      std::string_view slice(buffer.data() + offset, length);
      uint32_t seed = static_cast<uint32_t>(random());
      ASSERT_EQ(detail::Crc32cHardware(slice, 0), detail::Crc32cPortable(slice, 0))
          << "offset " << offset << " length " << length;
      ASSERT_EQ(detail::Crc32cHardware(slice, seed), detail::Crc32cPortable(slice, seed))
          << "offset " << offset << " length " << length << " seed " << seed;
    }
  }
  for (size_t length : {1023u, 1024u, 4095u, 4096u}) {
    std::string_view slice(buffer.data() + 3, length);
    EXPECT_EQ(detail::Crc32cHardware(slice, 7), detail::Crc32cPortable(slice, 7));
  }
}

TEST(ChecksumCrc32c, SeedContinuesAPreviousCrc) {
  std::mt19937 random(99);
  std::string data = RandomBytes(random, 1000);
  for (size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u, 1000u}) {
    std::string_view a = std::string_view(data).substr(0, cut);
    std::string_view b = std::string_view(data).substr(cut);
    EXPECT_EQ(detail::Crc32cPortable(b, detail::Crc32cPortable(a, 0)), Crc32c(data));
  }
}

TEST(ChecksumCrc32, HasherMatchesOneShot) {
  Crc32Hasher empty;
  EXPECT_EQ(empty.Finish(), 0u);
  Crc32Hasher hasher;
  hasher.Update("1234");
  EXPECT_EQ(hasher.Finish(), Crc32("1234"));  // Finish does not end the hasher
  hasher.Update("56789");
  EXPECT_EQ(hasher.Finish(), 0xCBF43926u);

  std::mt19937 random(7);
  for (int round = 0; round < 50; ++round) {
    std::string data = RandomBytes(random, random() % 5000);
    Crc32Hasher pieces;
    for (std::string_view piece : RandomSplit(random, data)) pieces.Update(piece);
    ASSERT_EQ(pieces.Finish(), Crc32(data));
  }
}

TEST(ChecksumCrc32c, HasherMatchesOneShot) {
  Crc32cHasher empty;
  EXPECT_EQ(empty.Finish(), 0u);
  std::mt19937 random(8);
  for (int round = 0; round < 50; ++round) {
    std::string data = RandomBytes(random, random() % 5000);
    Crc32cHasher pieces;
    for (std::string_view piece : RandomSplit(random, data)) pieces.Update(piece);
    ASSERT_EQ(pieces.Finish(), Crc32c(data));
    ASSERT_EQ(pieces.Finish(), detail::Crc32cPortable(data, 0));
  }
}

TEST(ChecksumCrc32, BytesAreBigEndian) {
  EXPECT_EQ(Crc32Bytes(0xE3069283u), Bytes({0xE3, 0x06, 0x92, 0x83}));
  EXPECT_EQ(Crc32Bytes(0), std::string(4, '\0'));
  // What S3 returns for these bodies in x-amz-checksum-crc32 / -crc32c.
  EXPECT_EQ(Base64Encode(Crc32Bytes(Crc32(""))), "AAAAAA==");
  EXPECT_EQ(Base64Encode(Crc32Bytes(Crc32("123456789"))), "y/Q5Jg==");
  EXPECT_EQ(Base64Encode(Crc32Bytes(Crc32("hello world"))), "DUoRhQ==");
  EXPECT_EQ(Base64Encode(Crc32Bytes(Crc32c("hello world"))), "yZRlqg==");
}

struct DigestVector {
  std::string data;
  const char* hex;
};

TEST(ChecksumSha1, PublishedVectors) {
  const std::vector<DigestVector> vectors = {
      {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
      {std::string(1000000, 'a'), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
  };
  for (const auto& vector : vectors) {
    EXPECT_EQ(HexEncode(Sha1(vector.data)), vector.hex);
    Sha1Hasher hasher;
    hasher.Update(vector.data);
    EXPECT_EQ(HexEncode(hasher.Finish()), vector.hex);
  }
  EXPECT_EQ(Base64Encode(AsBytes(Sha1("hello world"))), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
}

TEST(ChecksumMd5, PublishedVectors) {
  // RFC 1321 appendix A.5, plus the pangram.
  const std::vector<DigestVector> vectors = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"},
  };
  for (const auto& vector : vectors) {
    EXPECT_EQ(HexEncode(Md5(vector.data)), vector.hex);
    EXPECT_EQ(Md5Hex(vector.data), vector.hex);
    Md5Hasher hasher;
    hasher.Update(vector.data);
    EXPECT_EQ(HexEncode(hasher.Finish()), vector.hex);
  }
  // Content-MD5 is base64 of the digest.
  EXPECT_EQ(Base64Encode(AsBytes(Md5("hello world"))), "XrY7u+Ae7tCTyyK7j1rNww==");
}

TEST(ChecksumDigests, IncrementalMatchesOneShotForRandomSplits) {
  std::mt19937 random(42);
  for (int round = 0; round < 40; ++round) {
    std::string data = RandomBytes(random, random() % 3000);
    Sha1Hasher sha1;
    Md5Hasher md5;
    Sha256Hasher sha256;
    for (std::string_view piece : RandomSplit(random, data)) {
      sha1.Update(piece);
      md5.Update(piece);
      sha256.Update(piece);
    }
    ASSERT_EQ(sha1.Finish(), Sha1(data));
    ASSERT_EQ(md5.Finish(), Md5(data));
    ASSERT_EQ(sha256.Finish(), Sha256(data));
  }
}

TEST(ChecksumDigests, HashersMove) {
  Sha1Hasher first;
  first.Update("ab");
  Sha1Hasher second(std::move(first));
  second.Update("c");
  EXPECT_EQ(HexEncode(second.Finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");

  Md5Hasher a;
  a.Update("message ");
  Md5Hasher b;
  b = std::move(a);
  b.Update("digest");
  EXPECT_EQ(HexEncode(b.Finish()), "f96b697d7cb7938d525a2f31aaf161d0");
}

}  // namespace
}  // namespace lamina
