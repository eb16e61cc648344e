#include "common/zip.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

namespace lamina::zip {
namespace {

std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(LAMINA_TEST_DATA_DIR) + "/zip/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Sample() {
  Writer writer;
  writer.AddDirectory("python");
  writer.AddFile("python/mod.py", "VALUE = 1\n");
  writer.AddFile("python/big.txt", std::string(100000, 'x'));
  writer.AddFile("bin/tool", "#!/bin/sh\necho hi\n", 0100755);
  return writer.Finish();
}

TEST(Zip, WrittenArchiveReadsBack) {
  std::string archive = Sample();
  auto entries = ReadDirectory(archive);
  ASSERT_TRUE(entries.has_value()) << entries.error();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].name, "python/");
  EXPECT_TRUE((*entries)[0].IsDirectory());
  EXPECT_EQ((*entries)[1].method, 0);  // too small to gain from deflate
  EXPECT_EQ((*entries)[2].method, 8);
  EXPECT_LT((*entries)[2].compressed_size, 1000u);
  EXPECT_EQ((*entries)[3].UnixMode(), 0100755u);
  EXPECT_EQ(ReadEntry(archive, (*entries)[1]).value(), "VALUE = 1\n");
  EXPECT_EQ(ReadEntry(archive, (*entries)[2]).value(), std::string(100000, 'x'));
  auto summary = Verify(archive);
  ASSERT_TRUE(summary.has_value()) << summary.error().message;
  EXPECT_EQ(summary->entries, 4u);
  EXPECT_EQ(summary->uncompressed_bytes, 100000u + 10 + 18);
}

TEST(Zip, WriterIsDeterministic) { EXPECT_EQ(Sample(), Sample()); }

TEST(Zip, MoreThan65535EntriesGetZip64EndRecords) {
  Writer writer;
  for (int i = 0; i < 70000; ++i) writer.AddFile("f/" + std::to_string(i), "x");
  std::string archive = writer.Finish();
  auto entries = ReadDirectory(archive);
  ASSERT_TRUE(entries.has_value()) << entries.error();
  ASSERT_EQ(entries->size(), 70000u);
  EXPECT_EQ((*entries)[69999].name, "f/69999");
  EXPECT_EQ(ReadEntry(archive, (*entries)[69999]).value(), "x");
}

TEST(Zip, ReadsInfoZipZip64Archive) {
  // Made by Info-ZIP `zip -fz` (ZIP64 extra fields and end-of-directory records).
  std::string archive = ReadData("infozip_zip64.zip");
  ASSERT_FALSE(archive.empty());
  auto entries = ReadDirectory(archive);
  ASSERT_TRUE(entries.has_value()) << entries.error();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[2].name, "python/pkg/data.txt");
  EXPECT_EQ(ReadEntry(archive, (*entries)[2]).value(), std::string(3000, 'a'));
  EXPECT_EQ(ReadEntry(archive, (*entries)[3]).value(), "print(\"hi\")\n");
  EXPECT_TRUE(Verify(archive).has_value());
}

TEST(Zip, RejectsWhatIsNotAnArchive) {
  for (std::string text : {std::string(), std::string("hello"), std::string(5000, 'z')}) {
    auto result = Verify(text);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, VerifyError::Kind::kUnreadable);
  }
}

TEST(Zip, RejectsEveryTruncation) {
  std::string archive = Sample();
  for (size_t size = 0; size < archive.size(); size += 7)
    EXPECT_FALSE(Verify(archive.substr(0, size)).has_value()) << size;
}

TEST(Zip, RandomCorruptionNeverReadsOutOfBounds) {
  // Any byte of an archive may be hostile: flip bytes at random (deterministically seeded)
  // and check that reading either fails cleanly or succeeds; sanitizer builds catch overreads.
  std::string original = Sample();
  std::mt19937 random(12345);
  for (int round = 0; round < 3000; ++round) {
    std::string archive = original;
    int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i)
      archive[random() % archive.size()] = static_cast<char>(random() & 0xff);
    auto result = Verify(archive);
    if (result.has_value()) {
      EXPECT_LE(result->uncompressed_bytes, 262144000u);
    }
  }
}

TEST(Zip, DetectsCorruptedData) {
  std::string archive = Sample();
  auto entries = ReadDirectory(archive).value();
  // Flip a byte inside the stored entry's data: the CRC no longer matches.
  size_t data_at = entries[1].local_header_offset + 30 + entries[1].name.size();
  archive[data_at] ^= 0x20;
  auto result = Verify(archive);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("CRC"), std::string::npos) << result.error().message;
}

TEST(Zip, RejectsEntriesThatShareData) {
  // One local entry, and a central directory naming it 1,000 times: read naively, the same
  // data would be inflated 1,000 times over.
  Writer writer;
  writer.AddFile("python/data.txt", std::string(200000, 'y'));
  std::string single = writer.Finish();
  auto entries = ReadDirectory(single).value();
  size_t directory_offset = single.size() - 22 - (46 + entries[0].name.size());
  std::string local = single.substr(0, directory_offset);
  std::string central = single.substr(directory_offset, 46 + entries[0].name.size());
  std::string end = single.substr(single.size() - 22);
  std::string archive = local;
  for (int i = 0; i < 1000; ++i) archive += central;
  uint16_t count = 1000;
  uint32_t size = static_cast<uint32_t>(central.size() * 1000);
  end[8] = end[10] = static_cast<char>(count & 0xff);
  end[9] = end[11] = static_cast<char>(count >> 8);
  for (int i = 0; i < 4; ++i) end[12 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  archive += end;
  auto result = ReadDirectory(archive);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().find("overlap"), std::string::npos) << result.error();
}

TEST(Zip, RejectsEncryptedEntriesAndUnknownMethods) {
  std::string archive = Sample();
  // Central and local headers of entry 1: flags at +8 / +6, method at +10 / +8.
  size_t central = archive.find("PK\x01\x02", archive.find("PK\x01\x02") + 1);
  std::string encrypted = archive;
  encrypted[central + 8] |= 0x1;
  auto read = ReadEntry(encrypted, ReadDirectory(encrypted).value()[1]);
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().find("encrypted"), std::string::npos) << read.error();
  std::string bzip2 = archive;
  bzip2[central + 10] = 12;  // bzip2: not something Lambda layers use, nor this reader
  auto unknown = Verify(bzip2);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("compression method 12"), std::string::npos)
      << unknown.error().message;
}

TEST(Zip, CountsInflatedBytesNotClaimedSizes) {
  std::string archive = Sample();
  VerifyLimits limits;
  limits.max_uncompressed_bytes = 50000;
  auto result = Verify(archive, limits);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, VerifyError::Kind::kTooLarge);
}

TEST(Zip, RejectsUnsafePaths) {
  for (const char* name : {"/etc/passwd", "../escape", "a/../../b", "python/..", "\\x", "C:/x"}) {
    Writer writer;
    writer.AddFile(name, "data");
    auto result = Verify(writer.Finish());
    ASSERT_FALSE(result.has_value()) << name;
    EXPECT_EQ(result.error().kind, VerifyError::Kind::kUnsafePath) << name;
  }
  EXPECT_EQ(UnsafePathReason("python/lib/python3.12/site-packages/a..b/x.py"), "");
  EXPECT_EQ(UnsafePathReason("./python/x"), "");
}

}  // namespace
}  // namespace lamina::zip
