// SQLite RAII wrappers (see sqlite_db.h).
#include "results/store/sqlite_db.h"

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

#include <sqlite3.h>

#include "sweeps/unicode_nfd.h"

namespace ms {

namespace {
constexpr int kBusyTimeoutMs = 10000;

// "file:" URI of a path (RFC 3986 escapes for the characters SQLite's URI parser treats specially).
std::string file_uri(const std::string& path, const char* query) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%')
      uri += "%25";
    else if (c == '?')
      uri += "%3f";
    else if (c == '#')
      uri += "%23";
    else
      uri += c;
  }
  return uri + query;
}

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

// SQL ms_nfd(TEXT): the text's canonical decomposition (sweeps/unicode_nfd.h), so a query can
// compare names in any Unicode encoding; NULL stays NULL.
void sql_nfd(sqlite3_context* context, int, sqlite3_value** argv) {
  const unsigned char* text = sqlite3_value_text(argv[0]);
  if (text == nullptr) {
    sqlite3_result_null(context);
    return;
  }
  const std::string out = nfd(std::string(reinterpret_cast<const char*>(text), sqlite3_value_bytes(argv[0])));
  sqlite3_result_text(context, out.data(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

// SQLite's message plus the OS error behind it ("disk I/O error (No space left on device)").
std::string error_text(sqlite3* db, const char* message) {
  std::string text = message ? message : (db ? sqlite3_errmsg(db) : "closed database");
  const int code = db ? sqlite3_extended_errcode(db) & 0xff : SQLITE_OK;
  const bool io = code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN || code == SQLITE_READONLY;
  const int os_error = io ? sqlite3_system_errno(db) : 0;
  if (os_error != 0) text += std::string(" (") + std::strerror(os_error) + ")";
  return text;
}
}  // namespace

Database::Database(const std::string& path, Access access) : path_(path), access_(access) {
  // A reader of a database without a -wal file opens it read-write where it may (never creating
  // it) and forbids writes with `PRAGMA query_only` below: a SQLITE_OPEN_READONLY connection
  // cannot delete the -wal and -shm files that reading a WAL database creates, so every `results`
  // would leave two files beside the database; the last connection to close removes them. Where a
  // -wal file is already there (a run writing, one killed, another program's database) the reader
  // opens read-only as ever: closing it never folds someone else's log into the file.
  const bool reader_may_tidy = access == Access::ReadOnly && !file_exists(path + "-wal");
  const int flags = access == Access::ReadWrite ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                                                : (reader_may_tidy ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    close();
    throw std::runtime_error(path + ": cannot open database: " + message);
  }
  // A WAL database in a folder this user may not write (an archive, a read-only mount) cannot
  // get its -shm file, so even reading fails. With no -wal file there is no writer (a writer
  // would have created it), so the file is read as immutable instead.
  if (access == Access::ReadOnly) {
    const int rc = sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) & 0xff;
    const bool no_shm = rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN;
    if (no_shm && file_exists(path + "-wal")) {  // a run ended without folding its log back in
      close();
      throw std::runtime_error(path +
                               ": cannot be read here: its -wal file holds results that the run writing it did not "
                               "fold back into the database (it was killed), and SQLite cannot create the -shm file "
                               "it needs beside them (a read-only folder). Run `metasweep status` on it once where "
                               "it is writable, or copy the database and its -wal file to a writable folder");
    }
    if (no_shm) {
      close();
      if (sqlite3_open_v2(file_uri(path, "?immutable=1").c_str(), &db_,
                          SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        close();
        throw std::runtime_error(path + ": cannot open database: " + message);
      }
    }
  }
  if (access == Access::ReadWrite && sqlite3_db_readonly(db_, "main") == 1) {  // e.g. a read-only mount
    close();
    throw std::runtime_error(path + ": the database is read-only: cannot record results in it");
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_create_function_v2(db_, "ms_nfd", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, sql_nfd, nullptr, nullptr,
                             nullptr);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    exec("PRAGMA foreign_keys = ON");
    if (access == Access::ReadOnly) exec("PRAGMA query_only = ON");
    if (access == Access::ReadWrite) {
      exec("PRAGMA journal_mode = WAL");
      exec("PRAGMA synchronous = NORMAL");  // durable across process crashes in WAL mode
    }
  } catch (...) {
    close();
    throw;
  }
}

Database::~Database() { close(); }

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)), access_(other.access_) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    access_ = other.access_;
  }
  return *this;
}

void Database::close() noexcept {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error_text(db_, error);
    sqlite3_free(error);
    throw std::runtime_error(path_ + ": " + message + " (in: " + sql.substr(0, 80) + ")");
  }
}

int64_t Database::changes() const { return sqlite3_changes(db_); }

void Database::fail(const std::string& what) const {
  throw std::runtime_error(path_ + ": " + what + ": " + error_text(db_, nullptr));
}

Statement::Statement(const Database& db, const std::string& sql) : db_(&db), sql_(sql) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK) {
    close();
    db.fail("cannot prepare '" + sql.substr(0, 80) + "'");
  }
}

Statement::~Statement() { close(); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), sql_(std::move(other.sql_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    close();
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    sql_ = std::move(other.sql_);
  }
  return *this;
}

void Statement::close() noexcept {
  if (stmt_) sqlite3_finalize(stmt_);
  stmt_ = nullptr;
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_->fail("bind parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_->fail("bind parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    db_->fail("bind parameter " + std::to_string(index));
  return *this;
}

Statement& Statement::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_->fail("bind parameter " + std::to_string(index));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("cannot run '" + sql_.substr(0, 80) + "'");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string Statement::column_name(int col) const {
  const char* name = sqlite3_column_name(stmt_, col);
  return name ? name : "";
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Statement::column_int64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::column_text(int col) const {
  const auto* text = sqlite3_column_text(stmt_, col);
  if (!text) return "";
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<double> Statement::column_optional_double(int col) const {
  if (is_null(col)) return std::nullopt;
  return column_double(col);
}

std::optional<int64_t> Statement::column_optional_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return column_int64(col);
}

Transaction::Transaction(Database& db) : db_(&db) { db.exec("BEGIN IMMEDIATE"); }

Transaction::Transaction(Transaction&& other) noexcept : db_(other.db_), done_(std::exchange(other.done_, true)) {}

Transaction::~Transaction() {
  if (!done_ && db_ && db_->handle()) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_->exec("COMMIT");
  done_ = true;
}

ReadSnapshot::ReadSnapshot(const Database& db) {
  if (!sqlite3_get_autocommit(db.handle())) return;  // already inside a transaction: its view holds
  if (sqlite3_exec(db.handle(), "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) db.fail("BEGIN");
  db_ = db.handle();
}

ReadSnapshot::~ReadSnapshot() {
  if (db_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
}

}  // namespace ms
