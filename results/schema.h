// The results database schema, versioned with PRAGMA user_version. ensure_schema creates it in
// a new file and upgrades older versions step by step; it refuses files from a newer metasweep.
#pragma once

namespace ms {

class Database;

constexpr int kSchemaVersion = 1;

void ensure_schema(Database& db);       // writer: create or upgrade
void check_schema_readable(const Database& db);  // reader: a known version (or throws)

}  // namespace ms
