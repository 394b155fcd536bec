// Move-only RAII wrappers over the SQLite C API: Database (one connection), Statement (one
// prepared statement, parameters bound by index) and Transaction (BEGIN IMMEDIATE, rolled back
// unless committed). Every failure throws std::runtime_error with SQLite's message and the path.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace ms {

class Database {
 public:
  // ReadOnly connections never write (not even the schema; PRAGMA query_only) and never block the
  // writer (WAL); closing the last connection removes the -wal and -shm files where it may.
  // ReadWrite creates the file when missing and switches it to WAL mode.
  enum class Access { ReadOnly, ReadWrite };

  Database(const std::string& path, Access access);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  bool read_only() const { return access_ == Access::ReadOnly; }

  // Runs SQL text without parameters (schema, pragmas). Never use it with user values.
  void exec(const std::string& sql);
  int64_t changes() const;

  // Throws std::runtime_error("PATH: WHAT: sqlite message").
  [[noreturn]] void fail(const std::string& what) const;

 private:
  void close() noexcept;
  sqlite3* db_ = nullptr;
  std::string path_;
  Access access_ = Access::ReadOnly;
};

class Statement {
 public:
  Statement(const Database& db, const std::string& sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  Statement& bind(int index, const std::optional<double>& value);
  Statement& bind_null(int index);

  bool step();   // true while a row is available, false when done
  void run();    // steps to completion (INSERT/UPDATE/DELETE)
  void reset();  // ready to run again; clears the bindings

  int column_count() const;
  std::string column_name(int col) const;
  bool is_null(int col) const;
  int64_t column_int64(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;  // "" for NULL
  std::optional<double> column_optional_double(int col) const;
  std::optional<int64_t> column_optional_int64(int col) const;

 private:
  void close() noexcept;
  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

class Transaction {
 public:
  explicit Transaction(Database& db);  // BEGIN IMMEDIATE: takes the write lock now
  ~Transaction();                      // ROLLBACK unless committed; never throws
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database* db_ = nullptr;
  bool done_ = false;
};

// One consistent view for a reader that runs several queries (a report: the header's job counts,
// the table, the plots): until it ends, every query sees the database as of the first one, never a
// writer's later commit (WAL mode). Not nestable; does nothing inside an open transaction.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(const Database& db);  // BEGIN (deferred: the first read takes the snapshot)
  ~ReadSnapshot();                            // ends the read; never throws
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_ = nullptr;  // null when a transaction was already open
};

}  // namespace ms
