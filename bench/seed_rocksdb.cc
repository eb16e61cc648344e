// Seeds a lamina data directory with raw keys, so startup.py can time a restart on a data
// directory that holds data even for a lamina binary that serves no DynamoDB (an older build,
// kept for comparisons). Binaries with DynamoDB get their data through its API instead.
//
//   seed_rocksdb DATA_DIR KEYS [VALUE_BYTES] [KEYSPACE]
//
// Writes KEYS keys with values of VALUE_BYTES (default 200) pseudo-random letters, uncompressed,
// into the column family KEYSPACE (default "bench-seed") of DATA_DIR/db, in batches of 1000;
// then flushes and closes, which leaves the directory as lamina leaves it after a graceful stop
// (data in SST files, an empty write-ahead log). startup.py builds it with g++ -lrocksdb.

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: seed_rocksdb DATA_DIR KEYS [VALUE_BYTES] [KEYSPACE]\n");
    return 2;
  }
  std::string path = std::string(argv[1]) + "/db";
  long keys = std::strtol(argv[2], nullptr, 10);
  long value_bytes = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 200;
  std::string keyspace = argc > 4 ? argv[4] : "bench-seed";

  std::error_code error;
  std::filesystem::create_directories(path, error);

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok() || names.empty())
    names = {rocksdb::kDefaultColumnFamilyName};
  bool have = false;
  for (const auto& name : names) have = have || name == keyspace;
  if (!have) names.push_back(keyspace);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.compression = rocksdb::kNoCompression;  // as lamina's keyspaces
    descriptors.emplace_back(name, cf_options);
  }

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status status = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  if (!status.ok()) {
    std::fprintf(stderr, "seed_rocksdb: open %s: %s\n", path.c_str(), status.ToString().c_str());
    return 1;
  }
  rocksdb::ColumnFamilyHandle* handle = handles.back();
  std::string value(static_cast<size_t>(value_bytes), ' ');
  unsigned state = 12345;  // values vary, like real items; a fixed seed keeps runs alike
  char key[32];
  for (long start = 0; start < keys && status.ok(); start += 1000) {
    rocksdb::WriteBatch batch;
    for (long i = start; i < keys && i < start + 1000; ++i) {
      std::snprintf(key, sizeof key, "seed/%010ld", i);
      for (char& c : value) {
        state = state * 1103515245u + 12345u;
        c = static_cast<char>('a' + (state >> 16) % 26);
      }
      batch.Put(handle, key, value).PermitUncheckedError();
    }
    status = db->Write(rocksdb::WriteOptions(), &batch);
  }
  if (status.ok()) status = db->Flush(rocksdb::FlushOptions(), handles);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  rocksdb::Status closed = db->Close();
  delete db;
  if (!status.ok() || !closed.ok()) {
    std::fprintf(stderr, "seed_rocksdb: %s %s\n", status.ToString().c_str(),
                 closed.ToString().c_str());
    return 1;
  }
  return 0;
}
