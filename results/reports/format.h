// `metasweep results` output: job rows or groups as an aligned table, CSV (RFC 4180, loads in
// pandas as-is, config flattened into dotted columns), JSON (the contract fields of DESIGN.md §3
// plus `config`; groups add mean/std/n/min/max per metric), markdown or LaTeX (booktabs).
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "results/store/query.h"

namespace ms {

enum class OutputFormat { Table, Csv, Json, Markdown, Latex };

const std::vector<std::string>& output_format_names();      // table, csv, json, markdown, latex
OutputFormat parse_output_format(const std::string& name);  // ms::UsageError when unknown

struct TextTable;
struct TableRows;
// `t` in a text format (Table, Csv, Markdown, Latex; Json is not a text-table format: plain).
std::string render_table(const TextTable& t, OutputFormat format);
// The same written to `out`, t's header and alignment with the rows made by `rows`.
void write_table(std::ostream& out, const TextTable& t, const TableRows& rows, OutputFormat format);

// `metric` empty: the default metric columns; otherwise only that metric (table/markdown/latex;
// csv and json always carry every metric).
std::string format_jobs(const std::vector<JobRow>& rows, OutputFormat format, const std::string& metric = "");
std::string format_groups(const std::vector<GroupRow>& groups, OutputFormat format, const std::string& metric = "");

nlohmann::json job_json(const JobRow& row);
nlohmann::json group_json(const GroupRow& group);

}  // namespace ms
