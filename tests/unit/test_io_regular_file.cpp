// Every file a user names is opened through io::RegularFile: a FIFO, socket, device or folder is
// refused at once with a message naming it (a FIFO used to make `lisa inspect` wait forever).
#include "lisa/io/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "io_fixtures.h"
#include "lisa/config.h"
#include "lisa/eval/reasonseg.h"
#include "lisa/image/read_image.h"
#include "lisa/io/checkpoint.h"
#include "lisa/io/json_file.h"
#include "lisa/tokenizer/tokenizer_files.h"
#include "test_render_support.h"

namespace lisa::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// Runs `action` on its own thread and returns its lisa::Error message. When it has not finished
// within 10 s (it waits on the FIFO), the FIFO is opened for writing, which lets it go on, and the
// test fails: a regression fails here instead of hanging the suite.
std::string error_within_time(const fs::path& fifo, std::function<void()> action) {
  auto outcome = std::make_shared<std::promise<std::string>>();
  auto message = outcome->get_future();
  std::thread([outcome, action = std::move(action)] {
    try {
      action();
      outcome->set_value("");
    } catch (const lisa::Error& e) {
      outcome->set_value(e.what());
    } catch (const std::exception& e) {
      outcome->set_value(std::string("not a lisa::Error: ") + e.what());
    }
  }).detach();
  if (message.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "still waiting on " << fifo << " after 10 s";
    const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (writer >= 0) ::close(writer);
  }
  return message.get();
}

class RegularFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::mkfifo(fifo().c_str(), 0600), 0); }
  fs::path fifo() const { return dir_ / "fifo"; }
  ScratchDir dir_;
};

TEST_F(RegularFileTest, RefusesWhatIsNotARegularFile) {
  EXPECT_THAT(error_of([&] { io::RegularFile::open(dir_ / "absent"); }), HasSubstr("absent: no such file"));
  EXPECT_THAT(error_of([&] { io::RegularFile::open(dir_.path()); }), HasSubstr(": not a regular file (a directory)"));
  const fs::path f = fifo();
  EXPECT_THAT(error_within_time(f, [f] { io::RegularFile::open(f); }),
              HasSubstr(fifo().string() + ": not a regular file (a FIFO)"));
  EXPECT_THAT(error_of([] { io::RegularFile::open("/dev/null"); }),
              HasSubstr("/dev/null: not a regular file (a character device)"));
}

TEST_F(RegularFileTest, ReadsAWholeFileWithinItsLimit) {
  write_bytes(dir_ / "text", "0123456789");
  const auto file = io::RegularFile::open(dir_ / "text");
  EXPECT_EQ(file.size(), 10u);
  char prefix[4];
  EXPECT_EQ(file.read_prefix(prefix, 4), 4u);
  EXPECT_EQ(std::string(prefix, 4), "0123");
  EXPECT_EQ(io::read_regular_file(dir_ / "text", 10, "a note"), "0123456789");
  EXPECT_THAT(error_of([&] { io::read_regular_file(dir_ / "text", 9, "a note"); }),
              HasSubstr("text: 10 bytes is too large for a note (at most 9)"));
  // A symlink to a regular file is followed.
  fs::create_symlink(dir_ / "text", dir_ / "link");
  EXPECT_EQ(io::read_regular_file(dir_ / "link", 10, "a note"), "0123456789");
}

// Each reader of user-named files goes through it.
TEST_F(RegularFileTest, EveryReaderRefusesAFifo) {
  const fs::path f = fifo();
  const std::string refused = f.string() + ": not a regular file (a FIFO)";
  EXPECT_THAT(error_within_time(f, [f] { io::read_json_file(f); }), HasSubstr(refused));
  EXPECT_THAT(error_within_time(f, [f] { image::read_image(f); }), HasSubstr(refused));
  EXPECT_THAT(error_within_time(f, [f] { eval::read_reasonseg_json(f); }), HasSubstr(refused));
  EXPECT_THAT(error_within_time(f, [f] { io::Checkpoint::open(f); }), HasSubstr(refused));
  EXPECT_THAT(error_within_time(f, [f] { LisaConfig::load(f); }), HasSubstr(refused));
  EXPECT_THAT(error_within_time(f, [f] { load_clip_preprocess_config(f); }), HasSubstr(refused));
}

TEST_F(RegularFileTest, ACheckpointDirectoryWithFifosIsRefused) {
  const fs::path model = dir_ / "model";
  fs::create_directories(model);
  ASSERT_EQ(::mkfifo((model / "tokenizer.model").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((model / "config.json").c_str(), 0600), 0);
  EXPECT_THAT(error_within_time(model / "tokenizer.model", [model] { tokenizer::TokenizerFiles::read(model); }),
              HasSubstr((model / "tokenizer.model").string() + ": not a regular file (a FIFO)"));
  EXPECT_THAT(error_within_time(model / "config.json", [model] { LisaConfig::load(model); }),
              HasSubstr((model / "config.json").string() + ": not a regular file (a FIFO)"));
}

}  // namespace
}  // namespace lisa::testing
