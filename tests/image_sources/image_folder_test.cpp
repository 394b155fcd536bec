// Image folders: classes, labels and record order as torchvision's ImageFolder makes them (its
// algorithm rerun by python3 on the same tree), hostile names, and every error.
#include "images/sources/image_folder.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/test_support.h"

namespace ms {
namespace {

namespace fs = std::filesystem;

// Writes `path` (creating its folders) with contents that differ per path, so sizes differ.
void put(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << "bytes of " << path;
}

// torchvision.datasets.folder's find_classes and make_dataset (with its IMG_EXTENSIONS),
// printing "label\tpath" records separated by NUL bytes, paths as os.fsencode gives them.
constexpr const char* kTorchvision = R"PY(
import os, sys
def find_classes(directory):
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    return classes, {c: i for i, c in enumerate(classes)}
def make_dataset(directory, class_to_idx):
    instances = []
    for target_class in sorted(class_to_idx.keys()):
        target_dir = os.path.join(directory, target_class)
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if path.lower().endswith((".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")):
                    instances.append((path, class_to_idx[target_class]))
    return instances
classes, index = find_classes(sys.argv[1])
out = [os.fsencode("\t".join(classes))]
out += [str(label).encode() + b"\t" + os.fsencode(path) for path, label in make_dataset(sys.argv[1], index)]
sys.stdout.buffer.write(b"\0".join(out))
)PY";

// The index of `train` is the one torchvision's ImageFolder makes: the same classes, the same
// files in the same order with the same labels.
void expect_as_torchvision(const ImageSet& set, const std::string& train) {
  const auto r = test::run_command("python3 -c " + test::shell_quote(kTorchvision) + " " + test::shell_quote(train));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (size_t i = 0; i < set.classes.size(); ++i) expected += (i ? "\t" : "") + set.classes[i];
  for (const ImageRecord& record : set.records)
    expected += std::string(1, '\0') + std::to_string(record.label) + "\t" + set.files[record.file];
  EXPECT_EQ(expected, r.out);
}

class ImageFolderTest : public ::testing::Test {
 protected:
  test::TempDir tmp;
  std::string root = tmp.file("data");
};

TEST_F(ImageFolderTest, MatchesTorchvisionOnHostileNames) {
  const std::string train = root + "/train";
  for (const char* rel : {"cat/a.jpg",
                          "cat/B.JPG",
                          "cat/c d.Jpeg",
                          "cat/nested/x.png",
                          "cat/nested/deeper/y.jpg",
                          "cat/nested b/z.jpg",
                          "cat/nested-/w.jpg",
                          "cat/.hidden.jpg",
                          "cat/-leading dash.png",
                          "cat/quote'\"$(x).png",
                          "cat/\xc3\xa9.jpg",
                          "cat/\x80\x81 not utf8.jpg",
                          "cat/\xf0\x9f\x98\x80.jpeg",
                          "cat/.jpg",
                          "Zebra/1.PNG",
                          "Zebra/2.png",
                          "\xc3\xbcnicode class/x.jpg",
                          "dog/d1.jpg",
                          "elsewhere/linked.jpg",
                          "elsewhere/deep/more.png"})
    put(train + "/" + rel);
  for (const char* rel : {"cat/notes.txt", "cat/image.jpg.txt", "cat/jpg", "cat/nested/pic.gif", "dog/d1.jpg.bak"})
    put(train + "/" + rel);
  put(train + "/README.jpg");  // a file at the class level is not a class
  fs::create_directory_symlink("../elsewhere", train + "/dog/link");
  fs::create_symlink("a.jpg", train + "/cat/alias.jpg");

  const ImageSet set = index_image_folder(root, "train");
  expect_as_torchvision(set, train);

  EXPECT_EQ(set.classes, (std::vector<std::string>{"Zebra", "cat", "dog", "elsewhere", "\xc3\xbcnicode class"}));
  EXPECT_EQ(set.size(), 23u);
  // Spot checks of the rule, independent of Python: folders sorted by whole path ("nested" first,
  // then "nested b" and "nested-" before "nested/deeper": not depth first), files by Python's str
  // order (the byte 0x80, not UTF-8, is U+DC80 there: after é, U+00E9, and before U+1F600,
  // although byte order puts it first).
  std::vector<std::string> cat;
  for (const ImageRecord& record : set.records)
    if (record.label == 1) cat.push_back(set.files[record.file].substr(train.size() + 5));
  EXPECT_EQ(cat, (std::vector<std::string>{"-leading dash.png", ".hidden.jpg", ".jpg", "B.JPG", "a.jpg", "alias.jpg",
                                           "c d.Jpeg", "quote'\"$(x).png", "\xc3\xa9.jpg", "\x80\x81 not utf8.jpg",
                                           "\xf0\x9f\x98\x80.jpeg", "nested/x.png", "nested b/z.jpg", "nested-/w.jpg",
                                           "nested/deeper/y.jpg"}));
  for (const ImageRecord& record : set.records) {
    const std::string& path = set.files[record.file];
    EXPECT_EQ(record.offset, 0u);
    EXPECT_EQ(record.size, fs::file_size(path)) << path;
    EXPECT_EQ(set.read(record), test::read_file(path)) << path;
  }
}

TEST_F(ImageFolderTest, ExtensionsAreCaseInsensitive) {
  EXPECT_TRUE(has_image_extension("a.JPG"));
  EXPECT_TRUE(has_image_extension("a.jPeG"));
  EXPECT_TRUE(has_image_extension("x.y.PNG"));
  EXPECT_TRUE(has_image_extension(".png"));
  EXPECT_FALSE(has_image_extension("png"));
  EXPECT_FALSE(has_image_extension("a.jpg "));
  EXPECT_FALSE(has_image_extension("a.gif"));
  EXPECT_FALSE(has_image_extension(""));
}

// torchvision also indexes .bmp, .tif, .webp, ... files, which metasweep cannot decode: left out,
// the two indexes differed without a word. Under on_corrupt: fail such a file is an error when
// the folder is indexed; under skip it is indexed as torchvision indexes it (its decode fails,
// naming its format, and the loader skips and counts it).
TEST_F(ImageFolderTest, FilesTorchvisionIndexesInOtherFormatsAreNotLeftOutSilently) {
  const std::string train = root + "/train";
  for (const char* rel : {"cat/a.jpg", "cat/b.bmp", "cat/c.WEBP", "cat/d.png", "dog/e.Tif", "dog/f.tiff", "dog/g.ppm",
                          "dog/h.pgm", "dog/i.jpeg", "dog/j.gif"})
    put(train + "/" + rel);
  EXPECT_TRUE(has_torchvision_only_extension("x.TIFF"));
  EXPECT_FALSE(has_torchvision_only_extension("x.jpg"));
  EXPECT_FALSE(has_torchvision_only_extension("x.gif"));
  const std::string message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find(train + "/cat/b.bmp: torchvision's ImageFolder would train on this file"), std::string::npos)
      << message;
  EXPECT_NE(message.find("task.on_corrupt: skip would skip it"), std::string::npos) << message;
  const ImageSet set = index_image_folder(root, "train", MissingImages::kKeep);
  expect_as_torchvision(set, train);
  EXPECT_EQ(set.size(), 9u);  // all but the .gif, as torchvision
}

TEST_F(ImageFolderTest, ValidationUsesTheTrainingLabels) {
  for (const char* rel :
       {"train/ant/1.jpg", "train/bee/1.jpg", "train/cow/1.jpg", "val/cow/v1.jpg", "val/cow/v2.jpg", "val/ant/v.png"})
    put(root + "/" + rel);
  const ImageSet train = index_image_folder(root, "train");
  const ImageSet val = index_image_folder(root, "val", train.classes);
  EXPECT_EQ(val.classes, train.classes);
  ASSERT_EQ(val.size(), 3u);
  EXPECT_EQ(val.records[0].label, 0);  // ant
  EXPECT_EQ(val.records[1].label, 2);  // cow, although val has only two classes
  EXPECT_EQ(val.records[2].label, 2);
  EXPECT_EQ(val.files[2], root + "/val/cow/v2.jpg");

  put(root + "/val/dog/d.jpg");
  const std::string message = test::one_line_error([&] { index_image_folder(root, "val", train.classes); });
  EXPECT_NE(message.find("\"dog\" is not a class of the training split"), std::string::npos) << message;
  EXPECT_EQ(message.find("encoded"), std::string::npos) << message;

  // The same name in another Unicode encoding (é precomposed in train, e + U+0301 in val): said.
  fs::remove_all(root + "/val/dog");
  put(root + "/train/caf\xc3\xa9/1.jpg");
  put(root + "/val/cafe\xcc\x81/1.jpg");
  const ImageSet accented = index_image_folder(root, "train");
  const std::string encoded = test::one_line_error([&] { index_image_folder(root, "val", accented.classes); });
  EXPECT_NE(encoded.find("is not a class of the training split (4 classes): the training split's \"caf\xc3\xa9\" -- "
                         "the two look the same and differ only in how their accented letters are encoded"),
            std::string::npos)
      << encoded;
}

TEST_F(ImageFolderTest, MissingFoldersAreErrors) {
  std::string message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_EQ(message, root + ": no such dataset folder");
  fs::create_directories(root + "/val");
  message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find(root + "/train: no such split folder"), std::string::npos) << message;
  put(root + "/train/loose.jpg");
  message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find(root + "/train: no class folders"), std::string::npos) << message;
}

TEST_F(ImageFolderTest, ClassesWithoutImagesAreNamed) {
  put(root + "/train/full/1.jpg");
  put(root + "/train/empty b/readme.txt");
  put(root + "/train/empty a/sub/not-an-image.gif");
  const std::string message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find("found no valid file for the classes empty a, empty b"), std::string::npos) << message;
}

TEST_F(ImageFolderTest, HostileClassNamesAreRefused) {
  for (const char* bad : {"tab\there", "new\nline", "bad\xff utf8", "c1\xc2\x85 control"}) {
    test::TempDir dir;
    put(dir.path() + "/train/ok/1.jpg");
    put(dir.path() + "/train/" + bad + "/1.jpg");
    const std::string message = test::one_line_error([&] { index_image_folder(dir.path(), "train"); });
    EXPECT_NE(message.find("contains a control character or is not valid UTF-8"), std::string::npos) << message;
    EXPECT_NE(message.find("\\x"), std::string::npos) << message;  // the bad byte, escaped
  }
}

TEST_F(ImageFolderTest, UnreadableEntriesAreErrors) {
  put(root + "/train/a/1.jpg");
  fs::create_symlink("missing.jpg", root + "/train/a/broken.jpg");
  std::string message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find(root + "/train/a/broken.jpg: cannot read"), std::string::npos) << message;
  EXPECT_NE(message.find("task.on_corrupt: skip would skip it"), std::string::npos) << message;
  // Kept (as torchvision keeps it), with size 0: its read fails, for the loader to skip.
  const ImageSet kept = index_image_folder(root, "train", MissingImages::kKeep);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.files[1], root + "/train/a/broken.jpg");
  EXPECT_EQ(kept.records[1].size, 0u);
  EXPECT_THROW(kept.read(kept.records[1]), std::runtime_error);
  fs::remove(root + "/train/a/broken.jpg");
  fs::create_symlink("missing", root + "/train/a/broken-but-no-image.txt");  // not an image: ignored
  EXPECT_EQ(index_image_folder(root, "train").size(), 1u);

  ASSERT_EQ(::mkfifo((root + "/train/a/pipe.png").c_str(), 0644), 0);
  message = test::one_line_error([&] { index_image_folder(root, "train", MissingImages::kKeep); });
  EXPECT_NE(message.find("pipe.png: not a regular file"), std::string::npos) << message;
  fs::remove(root + "/train/a/pipe.png");

  fs::create_directory_symlink(".", root + "/train/a/here");
  message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find(root + "/train/a/here: symbolic link loop"), std::string::npos) << message;
  fs::remove(root + "/train/a/here");
  fs::create_directory_symlink("..", root + "/train/a/up");  // back into the class through train/
  message = test::one_line_error([&] { index_image_folder(root, "train"); });
  EXPECT_NE(message.find(root + "/train/a/up/a: symbolic link loop"), std::string::npos) << message;
  fs::remove(root + "/train/a/up");

  if (::geteuid() != 0) {  // root reads any folder
    fs::create_directories(root + "/train/a/locked");
    fs::permissions(root + "/train/a/locked", fs::perms::none);
    message = test::one_line_error([&] { index_image_folder(root, "train"); });
    fs::permissions(root + "/train/a/locked", fs::perms::owner_all);
    EXPECT_NE(message.find("locked: cannot open folder"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace ms
