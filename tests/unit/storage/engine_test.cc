#include "storage/engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"

namespace lamina::storage {
namespace {

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("lamina-test-" + RandomHex(12))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<Engine> OpenOrDie(const EngineOptions& options) {
  auto engine = Engine::Open(options);
  EXPECT_TRUE(engine.has_value()) << (engine ? "" : engine.error().message());
  return engine ? std::move(*engine) : nullptr;
}

TEST(Engine, PutGetDeleteInMemory) {
  EngineOptions options;
  options.in_memory = true;
  auto engine = OpenOrDie(options);
  ASSERT_TRUE(engine);
  Keyspace* keyspace = engine->GetKeyspace("items");
  ASSERT_NE(keyspace, nullptr);
  EXPECT_EQ(engine->GetKeyspace("items"), keyspace);
  ASSERT_TRUE(engine->Put(keyspace, "k", std::string("v\0w", 3)).ok());
  std::string value;
  ASSERT_TRUE(engine->Get(keyspace, "k", &value).ok());
  EXPECT_EQ(value, std::string("v\0w", 3));
  ASSERT_TRUE(engine->Delete(keyspace, "k").ok());
  EXPECT_TRUE(engine->Get(keyspace, "k", &value).IsNotFound());
}

TEST(Engine, KeyspacesAreSeparateAndIterationIsOrdered) {
  EngineOptions options;
  options.in_memory = true;
  auto engine = OpenOrDie(options);
  Keyspace* a = engine->GetKeyspace("a");
  Keyspace* b = engine->GetKeyspace("b");
  WriteBatch batch;
  for (const char* key : {"k3", "k1", "k2"}) batch.Put(a, key, key);
  batch.Put(b, "k0", "other");
  EXPECT_EQ(batch.Count(), 4u);
  ASSERT_TRUE(engine->Write(batch).ok());

  auto iterator = engine->NewIterator(a, "k3");
  std::vector<std::string> keys;
  for (iterator->SeekToFirst(); iterator->Valid(); iterator->Next())
    keys.emplace_back(iterator->key());
  EXPECT_EQ(keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_TRUE(iterator->status().ok());

  iterator = engine->NewIterator(b);
  iterator->SeekToFirst();
  ASSERT_TRUE(iterator->Valid());
  EXPECT_EQ(iterator->key(), "k0");
}

TEST(Engine, ResetWipesEveryKeyspace) {
  EngineOptions options;
  options.in_memory = true;
  auto engine = OpenOrDie(options);
  Keyspace* a = engine->GetKeyspace("a");
  Keyspace* b = engine->GetKeyspace("b");
  ASSERT_TRUE(engine->Put(a, std::string("\x00", 1), "x").ok());
  ASSERT_TRUE(engine->Put(a, "\xff\xff", "y").ok());
  ASSERT_TRUE(engine->Put(b, "m", "z").ok());
  ASSERT_TRUE(engine->Reset().ok());
  for (Keyspace* keyspace : {a, b}) {
    auto iterator = engine->NewIterator(keyspace);
    iterator->SeekToFirst();
    EXPECT_FALSE(iterator->Valid());
  }
  ASSERT_TRUE(engine->Put(a, "after", "1").ok());
  std::string value;
  EXPECT_TRUE(engine->Get(a, "after", &value).ok());
}

TEST(Engine, DataSurvivesReopen) {
  TempDir dir;
  EngineOptions options;
  options.data_dir = dir.str();
  {
    auto engine = OpenOrDie(options);
    ASSERT_TRUE(engine->Put(engine->GetKeyspace("kept"), "key", "value").ok());
  }
  auto engine = OpenOrDie(options);
  std::string value;
  ASSERT_TRUE(engine->Get(engine->GetKeyspace("kept"), "key", &value).ok());
  EXPECT_EQ(value, "value");
}

TEST(Engine, SecondOpenOfADirectoryIsBusy) {
  TempDir dir;
  EngineOptions options;
  options.data_dir = dir.str();
  auto first = OpenOrDie(options);
  auto second = Engine::Open(options);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), Status::Code::kBusy);
  EXPECT_NE(second.error().message().find("in use by another lamina process"), std::string::npos);
}

}  // namespace
}  // namespace lamina::storage
