#include "storage/blob_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/hashing.h"
#include "common/ids.h"

namespace lamina::storage {
namespace {

void ExerciseBlobStore(BlobStore& store) {
  std::string data(100000, 'x');
  data[5] = '\0';
  auto id = store.Put(data);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, HexEncode(Sha256(data)));
  auto again = store.Put(data);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *id);
  EXPECT_TRUE(store.Contains(*id));
  auto read = store.Get(*id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, data);

  auto missing = store.Get(HexEncode(Sha256("absent")));
  ASSERT_FALSE(missing.has_value());
  EXPECT_TRUE(missing.error().IsNotFound());
  EXPECT_FALSE(store.Get("../../etc/passwd").has_value());

  ASSERT_TRUE(store.Remove(*id).ok());
  EXPECT_FALSE(store.Contains(*id));
  EXPECT_TRUE(store.Remove(*id).ok());

  auto other = store.Put("other");
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(store.Reset().ok());
  EXPECT_FALSE(store.Contains(*other));
}

TEST(BlobStore, InMemory) {
  auto store = BlobStore::Open("", true);
  ASSERT_TRUE(store.has_value());
  ExerciseBlobStore(**store);
}

TEST(BlobStore, OnDiskIsContentAddressedAndLeavesNoTempFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("lamina-blobs-" + RandomHex(12));
  {
    auto store = BlobStore::Open(dir.string(), false);
    ASSERT_TRUE(store.has_value()) << store.error().message();
    ExerciseBlobStore(**store);
    auto id = (*store)->Put("persisted");
    ASSERT_TRUE(id.has_value());
    EXPECT_TRUE(std::filesystem::exists(dir / "blobs" / id->substr(0, 2) / *id));
    EXPECT_TRUE(std::filesystem::is_empty(dir / "blobs" / "tmp"));
  }
  auto reopened = BlobStore::Open(dir.string(), false);
  ASSERT_TRUE(reopened.has_value());
  auto read = (*reopened)->Get(HexEncode(Sha256("persisted")));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, "persisted");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lamina::storage
