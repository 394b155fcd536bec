// Tar shards: indexing what Python's tarfile writes (GNU, pax, ustar; long names, global
// headers), TarWriter's output read back by Python, shard writing and patterns, every error.
#include "images/sources/tar_shards.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <sstream>
#include <utility>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/test_support.h"

namespace ms {
namespace {

namespace fs = std::filesystem;
using Members = std::vector<std::pair<std::string, std::string>>;

void write_tar(const std::string& path, const Members& members) {
  TarWriter tar(path);
  for (const auto& [name, bytes] : members) tar.add(name, bytes);
  tar.finish();
}

#define EXPECT_CONTAINS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

// The bytes the Python writer below stores as sample i's image.
std::string python_image(int i) {
  std::string bytes;
  for (int j = 0; j < 100 + 613 * i; ++j) bytes += static_cast<char>((i * 7 + j) % 256);
  return bytes;
}

constexpr const char* kPythonShards = R"PY(
import io, sys, tarfile
out = sys.argv[1]
def image(i): return bytes((i * 7 + j) % 256 for j in range(100 + 613 * i))
def add(tf, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), 0
    tf.addfile(info, io.BytesIO(data))
for fmt, name in ((tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax"), (tarfile.USTAR_FORMAT, "ustar")):
    extra = {"pax_headers": {"comment": "a global header"}} if fmt == tarfile.PAX_FORMAT else {}
    with tarfile.open(out + "/" + name + ".tar", "w", format=fmt, **extra) as tf:
        folder = tarfile.TarInfo("train")
        folder.type = tarfile.DIRTYPE
        tf.addfile(folder)
        for i in range(6):
            key = "train/sample%03d" % i
            if i in (2, 3):  # long names: ustar splits them into prefix and name, GNU and pax need their own headers
                ustar = fmt == tarfile.USTAR_FORMAT
                key = "train/" + "de"[i - 2] * 120 + "/s" if ustar else "train/" + "kl"[i - 2] * 150
            if i == 4:
                key = "train/caf\u00e9 'x' -y"
            add(tf, key + "." + ["jpg", "JPEG", "png"][i % 3], image(i))
            add(tf, key + ".cls", b" %d\n" % (i % 4))
            add(tf, key + ".json", b"{}")
        add(tf, "__meta__/info.json", b"{}")
)PY";

TEST(TarShards, IndexesWhatPythonsTarfileWrites) {
  test::TempDir tmp;
  const auto r = test::run_command("python3 -c " + test::shell_quote(kPythonShards) + " " + tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* format : {"gnu", "pax", "ustar"}) {
    const ImageSet set = index_tar_shards(tmp.file(std::string(format) + ".tar"));
    ASSERT_EQ(set.size(), 6u) << format;
    EXPECT_EQ(set.classes, (std::vector<std::string>{"0", "1", "2", "3"}));
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(set.records[i].label, i % 4) << format << " " << i;
      EXPECT_EQ(set.records[i].file, 0u);
      EXPECT_EQ(set.read(set.records[i]), python_image(i)) << format << " " << i;
    }
  }
  // All three as one data set: a folder gives its *.tar files sorted.
  const ImageSet all = index_tar_shards(tmp.path());
  EXPECT_EQ(all.files, (std::vector<std::string>{tmp.file("gnu.tar"), tmp.file("pax.tar"), tmp.file("ustar.tar")}));
  ASSERT_EQ(all.size(), 18u);
  EXPECT_EQ(all.records[17].file, 2u);
  EXPECT_EQ(all.read(all.records[17]), python_image(5));
}

// A record's member name, for messages about that image: found by its data offset in every
// header form (ustar prefix, GNU long name, pax path), and "" for an offset no member starts at.
TEST(TarShards, MemberAtNamesTheMemberARecordReads) {
  test::TempDir tmp;
  const auto r = test::run_command("python3 -c " + test::shell_quote(kPythonShards) + " " + tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* format : {"gnu", "pax", "ustar"}) {
    const std::string shard = tmp.file(std::string(format) + ".tar");
    const ImageSet set = index_tar_shards(shard);
    ASSERT_EQ(set.size(), 6u) << format;
    const bool ustar = std::string(format) == "ustar";
    EXPECT_EQ(tar_member_at(shard, set.records[0].offset), "train/sample000.jpg") << format;
    EXPECT_EQ(tar_member_at(shard, set.records[2].offset),
              ustar ? "train/" + std::string(120, 'd') + "/s.png" : "train/" + std::string(150, 'k') + ".png")
        << format;
    EXPECT_EQ(tar_member_at(shard, set.records[4].offset), "train/caf\u00e9 'x' -y.JPEG") << format;
    EXPECT_EQ(tar_member_at(shard, set.records[5].offset + 1), "") << format;
  }
  EXPECT_EQ(tar_member_at(tmp.file("missing.tar"), 512), "");
}

TEST(TarShards, PythonReadsWhatTarWriterWrites) {
  test::TempDir tmp;
  const std::string split_name = "dir/" + std::string(130, 'p') + "/" + std::string(90, 'n') + ".jpg";
  const Members members{{"a.jpg", "JPEG bytes"},
                        {"a.cls", "3"},
                        {"-leading dash 'quote\" caf\xc3\xa9.png", std::string(1000, '\0') + "x"},
                        {split_name, std::string(512, 'b')},                     // fits ustar's prefix + name
                        {std::string(180, 'L') + ".jpeg", std::string(3, 'c')},  // needs a pax path
                        {"empty.txt", ""}};
  write_tar(tmp.file("w.tar"), members);
  const char* list = R"PY(
import sys, tarfile
with tarfile.open(sys.argv[1]) as tf:
    for m in tf:
        print(m.name.encode().hex(), tf.extractfile(m).read().hex(), oct(m.mode), m.mtime)
)PY";
  const auto r = test::run_command("python3 -c " + test::shell_quote(list) + " " + tmp.file("w.tar"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (const auto& [name, bytes] : members) expected += hex(name) + " " + hex(bytes) + " 0o644 0\n";
  EXPECT_EQ(r.out, expected);

  // The same input gives the same bytes; a writer dropped before finish() leaves no file.
  write_tar(tmp.file("again.tar"), members);
  EXPECT_EQ(test::read_file(tmp.file("again.tar")), test::read_file(tmp.file("w.tar")));
  {
    TarWriter unfinished(tmp.file("partial.tar"));
    unfinished.add("x.jpg", "x");
  }
  EXPECT_FALSE(fs::exists(tmp.file("partial.tar")));
  EXPECT_THROW(TarWriter(tmp.file("bad.tar")).add("", "x"), std::invalid_argument);
}

TEST(TarShards, ShardWriterOutputIndexesBack) {
  test::TempDir tmp;
  ShardWriter writer(tmp.file("my set"), 3);
  for (int i = 0; i < 7; ++i)
    writer.add("k/" + std::to_string(i), "image " + std::to_string(i), i % 2 ? "png" : "jpg", 6 - i);
  const std::vector<std::string> paths = writer.finish();
  EXPECT_EQ(paths, (std::vector<std::string>{tmp.file("my set-000000.tar"), tmp.file("my set-000001.tar"),
                                             tmp.file("my set-000002.tar")}));
  const ImageSet set = index_tar_shards(tmp.file("my set-{000000..000002}.tar"));
  EXPECT_EQ(set.files, paths);
  ASSERT_EQ(set.size(), 7u);
  EXPECT_EQ(set.classes.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(set.records[i].file, static_cast<uint32_t>(i / 3));
    EXPECT_EQ(set.records[i].label, 6 - i);
    EXPECT_EQ(set.read(set.records[i]), "image " + std::to_string(i));
  }
  EXPECT_THROW(writer.add("a.b", "x", "jpg", 0), std::invalid_argument);  // the key has a '.'
  EXPECT_THROW(writer.add("dir/", "x", "jpg", 0), std::invalid_argument);
  EXPECT_THROW(writer.add("a", "x", "gif", 0), std::invalid_argument);
  EXPECT_THROW(writer.add("a", "x", "jpg", -1), std::invalid_argument);
}

// Shards written class by class (a conversion in ImageFolder order) give one-class batches, since
// shuffling never crosses shards: counted, for the loader's warning. A shard of one image, or a
// dataset of one class, is not such a shard.
TEST(TarShards, ShardsOfOneClassAreCounted) {
  auto set = [](const std::vector<std::vector<int32_t>>& shards) {
    ImageSet s;
    for (size_t f = 0; f < shards.size(); ++f) {
      s.files.push_back("shard-" + std::to_string(f));
      for (int32_t label : shards[f]) s.records.push_back({static_cast<uint32_t>(f), 0, 1, label});
    }
    return s;
  };
  EXPECT_EQ(single_class_shards(set({{0, 0, 0}, {1, 1}, {2, 2, 2}})), 3u);
  EXPECT_EQ(single_class_shards(set({{0, 1, 0}, {1, 2}, {2, 2, 2}})), 1u);
  EXPECT_EQ(single_class_shards(set({{0, 1}, {2}, {1, 0}})), 0u);  // the one-image shard is not counted
  EXPECT_EQ(single_class_shards(set({{3, 3}, {3, 3}})), 0u);        // one class in all
  EXPECT_EQ(single_class_shards(set({})), 0u);
}

TEST(TarShards, ReadsBase256SizesAndCountsWebDatasetKeys) {
  test::TempDir tmp;
  // Keys as WebDataset cuts them: up to the first '.' of the base name, folder kept, the
  // extension lower-cased; names without a key (".x", no '.') and __meta__ members skipped.
  write_tar(tmp.file("k.tar"), {{"a.b/x.JPG", "first"},
                                {"a.b/x.y.cls", "9, but extension y.cls is not cls"},
                                {"a.b/x.CLS", "1"},
                                {".hidden", "?"},
                                {"README", "?"},
                                {"__index__", "?"},
                                {"__meta__/s.cls", "?"},
                                {"a.b/y.png", "second"},
                                {"a.b/y.cls", "0"}});
  // GNU base-256 for the first member's size (five bytes), with the checksum redone.
  std::string tar = test::read_file(tmp.file("k.tar"));
  tar.replace(124, 12, std::string("\x80\0\0\0\0\0\0\0\0\0\0\x05", 12));
  tar.replace(148, 8, std::string(8, ' '));
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[i]);
  std::ostringstream field;
  field << std::oct << std::setw(6) << std::setfill('0') << sum << '\0';
  tar.replace(148, 7, field.str());
  std::ofstream(tmp.file("k.tar"), std::ios::binary) << tar;

  const ImageSet set = index_tar_shards(tmp.file("k.tar"));
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.read(set.records[0]), "first");
  EXPECT_EQ(set.records[0].label, 1);
  EXPECT_EQ(set.records[0].offset, 512u);
  EXPECT_EQ(set.read(set.records[1]), "second");
}

TEST(TarShards, BracePatternsExpandLikeWebDataset) {
  EXPECT_EQ(expand_braces("s-{000000..000002}.tar"),
            (std::vector<std::string>{"s-000000.tar", "s-000001.tar", "s-000002.tar"}));
  EXPECT_EQ(expand_braces("{8..10}"), (std::vector<std::string>{"8", "9", "10"}));
  EXPECT_EQ(expand_braces("{08..10}"), (std::vector<std::string>{"08", "09", "10"}));
  EXPECT_EQ(expand_braces("{3..1}"), (std::vector<std::string>{"3", "2", "1"}));
  EXPECT_EQ(expand_braces("x{a,b}y{1..2}"), (std::vector<std::string>{"xay1", "xay2", "xby1", "xby2"}));
  EXPECT_EQ(expand_braces("{a}/plain"), (std::vector<std::string>{"{a}/plain"}));
  EXPECT_EQ(expand_braces("t-{a..c}.tar"), (std::vector<std::string>{"t-a.tar", "t-b.tar", "t-c.tar"}));  // letters
  EXPECT_EQ(expand_braces("{C..A}"), (std::vector<std::string>{"C", "B", "A"}));
  EXPECT_EQ(expand_braces("{a..C}"), (std::vector<std::string>{"{a..C}"}));  // two cases: no range
  EXPECT_THROW(expand_braces("s-{1..3.tar"), std::invalid_argument);
  EXPECT_THROW(expand_braces("{a,{b,c}}"), std::invalid_argument);
  EXPECT_THROW(expand_braces("a}b"), std::invalid_argument);
  EXPECT_THROW(expand_braces("{0..99999999}"), std::invalid_argument);
}

TEST(TarShards, ShardListErrors) {
  test::TempDir tmp;
  fs::create_directories(tmp.file("empty"));
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("empty")); }), "empty: no shards");
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("nothing.tar")); }), "nothing.tar: no shards");
  write_tar(tmp.file("s-0.tar"), {{"a.jpg", "x"}, {"a.cls", "0"}});
  write_tar(tmp.file("s-1.tar"), {});
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("s-{0..2}.tar")); }), "s-2.tar: cannot open");
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("s-1.tar")); }),
                  "s-1.tar: no samples in 1 shard(s)");
  EXPECT_EQ(index_tar_shards(tmp.file("s-{0..1}.tar")).size(), 1u);  // an empty shard among others is fine
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("s-{0...1}.tar")); }),
                  "no shards (no such file or folder, and its braces are no pattern: {000000..000099}, {a..e} or "
                  "{train,val})");
  // A FIFO (or a socket, a device) named as a shard is refused at once: reading it could block for ever.
  ASSERT_EQ(::mkfifo(tmp.file("fifo.tar").c_str(), 0600), 0);
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("fifo.tar")); }),
                  "fifo.tar: not a regular file (a FIFO, socket or device could block the job for ever)");
  EXPECT_CONTAINS(test::one_line_error([&] { index_tar_shards(tmp.file("{s-0,fifo}.tar")); }),
                  "fifo.tar: not a regular file");
}

TEST(TarShards, DamagedShardsAreErrorsNamingShardAndOffset) {
  test::TempDir tmp;
  const std::string good = tmp.file("good.tar");
  write_tar(good, {{"a.jpg", std::string(700, 'a')}, {"a.cls", "1"}, {"b.jpg", "b"}, {"b.cls", "2"}});
  const std::string bytes = test::read_file(good);
  const auto damaged = [&](const std::string& name, const std::string& contents) {
    std::ofstream(tmp.file(name), std::ios::binary) << contents;
    return test::one_line_error([&] { index_tar_shards(tmp.file(name)); });
  };
  EXPECT_CONTAINS(damaged("mid-member.tar", bytes.substr(0, 900)),
                  tmp.file("mid-member.tar") + ": truncated: the member at offset 0 needs 700 bytes");
  EXPECT_CONTAINS(damaged("mid-header.tar", bytes.substr(0, 1536 + 100)),
                  "truncated: the file ends inside the header at offset 1536");
  EXPECT_CONTAINS(damaged("no-end.tar", bytes.substr(0, 1536 + 1024 * 2)),
                  "truncated: the file ends at offset 3584 without the end-of-archive block");
  EXPECT_CONTAINS(damaged("random.tar", std::string(2000, 'R')), "random.tar: not a tar archive");
  EXPECT_CONTAINS(damaged("zero.tar", ""), "zero.tar: empty file, not a tar archive");
  std::string flipped = bytes;
  flipped[1536 + 3] ^= 1;  // a byte of the second member's name
  EXPECT_CONTAINS(damaged("flipped.tar", flipped), "flipped.tar: header checksum mismatch at offset 1536");
}

TEST(TarShards, BadSamplesAreErrorsNamingShardAndKey) {
  test::TempDir tmp;
  const auto error = [&](const Members& members) {
    write_tar(tmp.file("s.tar"), members);
    return test::one_line_error([&] { index_tar_shards(tmp.file("s.tar")); });
  };
  const std::string shard = tmp.file("s.tar") + ": ";
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", "0"}, {"dir/b c.jpg", "x"}}),
                  shard + "sample \"dir/b c\" has no .cls member");
  EXPECT_CONTAINS(error({{"a.cls", "0"}, {"a.txt", "x"}}), shard + "sample \"a\" has no image member");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", "seven"}}), "sample \"a\" has label \"seven\", not an integer");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", "1.5"}}), "not an integer");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", ""}}), "not an integer");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", " -2\n"}}), "sample \"a\" has a negative label -2");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", "99999999999"}}), "above the largest supported");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.cls", "1048576"}}), "above the largest supported 1048575");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.JPG", "y"}, {"a.cls", "0"}}), "sample \"a\" has two .jpg members");
  EXPECT_CONTAINS(error({{"a.jpg", "x"}, {"a.png", "y"}, {"a.cls", "0"}}), "has more than one image");
  EXPECT_CONTAINS(error({{"a\x01.jpg", "x"}}), "sample \"a\\x01\" has no .cls");  // control bytes escaped
}

}  // namespace
}  // namespace ms
