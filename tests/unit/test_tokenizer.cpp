// Tokenizer behaviour on the golden LISA tokenizer, and how it reads a checkpoint's tokenizer files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <random>

#include "lisa/error.h"
#include "lisa/io/json_file.h"
#include "lisa/tokenizer/image_tokens.h"
#include "lisa/tokenizer/utf8.h"
#include "test_tokenizer_data.h"

namespace fs = std::filesystem;
using lisa::tokenizer::kImageTokenIndex;
using lisa::tokenizer::Tokenizer;
using Ids = std::vector<int64_t>;

namespace {

Ids concat(std::initializer_list<Ids> parts) {
  Ids out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// A checkpoint directory with the golden tokenizer.model and JSON files a test writes.
class TokenizerDir {
 public:
  TokenizerDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / ("lisa_tokenizer_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter++));
    fs::create_directories(path_);
    fs::copy_file(lisa_test::golden_model_dir() / "tokenizer.model", path_ / "tokenizer.model");
    for (const char* name : {"tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"})
      fs::copy_file(lisa_test::golden_model_dir() / name, path_ / name);
  }
  ~TokenizerDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

  nlohmann::json read(const char* name) const { return lisa::io::read_json_file(path_ / name); }
  void write(const char* name, const nlohmann::json& value) const { write_text(name, value.dump()); }
  void write_text(const char* name, const std::string& text) const { std::ofstream(path_ / name) << text; }
  void edit(const char* name, const std::function<void(nlohmann::json&)>& change) const {
    nlohmann::json value = read(name);
    change(value);
    write(name, value);
  }

 private:
  fs::path path_;
};

class TokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override { LISA_REQUIRE_GOLDENS(); }
  const Tokenizer& tok() const { return lisa_test::golden_tokenizer(); }
  Ids plain(const std::string& text) const { return tok().encode(text, /*add_special_tokens=*/false); }
};

TEST_F(TokenizerTest, SpecialIdsAreTheModelsPieces) {
  EXPECT_EQ(tok().id_to_piece(tok().bos_id()), "<s>");
  EXPECT_EQ(tok().id_to_piece(tok().eos_id()), "</s>");
  EXPECT_EQ(tok().id_to_piece(tok().unk_id()), "<unk>");
  EXPECT_EQ(tok().id_to_piece(tok().seg_token_id()), "[SEG]");
  // The three LISA tokens follow the SentencePiece vocabulary.
  EXPECT_EQ(tok().size(), tok().base_vocab_size() + 3);
  EXPECT_GE(tok().seg_token_id(), tok().base_vocab_size());
}

TEST_F(TokenizerTest, BosOncePerCall) {
  EXPECT_EQ(tok().encode(""), Ids{tok().bos_id()});
  EXPECT_EQ(tok().encode("a cat"), concat({{tok().bos_id()}, plain("a cat")}));
  EXPECT_TRUE(plain("").empty());
}

// Added tokens split the text; whitespace around them goes; each rest is encoded on its own.
TEST_F(TokenizerTest, AddedTokensSplitAndStripTheirSurroundings) {
  const int64_t seg = tok().seg_token_id();
  EXPECT_EQ(plain("a [SEG] b"), concat({plain("a"), {seg}, plain("b")}));
  EXPECT_EQ(plain("a  [SEG]\n\tb"), plain("a [SEG] b"));
  EXPECT_EQ(plain("[SEG][SEG]"), (Ids{seg, seg}));
  const Ids wrapped = plain("<im_start> x <im_end>");
  ASSERT_EQ(wrapped.size(), plain("x").size() + 2);
  EXPECT_EQ(tok().id_to_piece(wrapped.front()), "<im_start>");
  EXPECT_EQ(tok().id_to_piece(wrapped.back()), "<im_end>");
}

// <s>, </s>, <unk> in text are special tokens too, but AddedToken objects with lstrip = rstrip =
// false, so the whitespace next to them stays and is encoded.
TEST_F(TokenizerTest, SpecialTokensInTextKeepTheirWhitespace) {
  EXPECT_EQ(plain("a<s>b"), concat({plain("a"), {tok().bos_id()}, plain("b")}));
  EXPECT_EQ(plain("a <s> b"), concat({plain("a "), {tok().bos_id()}, plain(" b")}));
  EXPECT_NE(plain("a <s> b"), plain("a<s>b"));
  EXPECT_EQ(plain("</s><unk>"), (Ids{tok().eos_id(), tok().unk_id()}));
}

TEST_F(TokenizerTest, ImagePlaceholderKeepsOnlyTheFirstBos) {
  const int64_t bos = tok().bos_id();
  EXPECT_EQ(tok().tokenize_with_image("no image"), tok().encode("no image"));
  EXPECT_EQ(tok().tokenize_with_image("<image>"), (Ids{bos, kImageTokenIndex}));
  EXPECT_EQ(tok().tokenize_with_image("a<image>\nb"), concat({{bos}, plain("a"), {kImageTokenIndex}, plain("\nb")}));
  EXPECT_EQ(tok().tokenize_with_image("<image><image>"), (Ids{bos, kImageTokenIndex, kImageTokenIndex}));
}

TEST_F(TokenizerTest, DecodeQuirksOfTheSlowTokenizer) {
  // Added tokens are joined to their neighbours with a space (spaces_between_special_tokens).
  EXPECT_EQ(tok().decode(plain("it is [SEG].")), "it is [SEG] .");
  // convert_tokens_to_string puts the space before a special token in front of the preceding run.
  EXPECT_EQ(tok().decode(concat({plain("hello"), {tok().eos_id()}})), " hello</s>");
  EXPECT_EQ(tok().decode(tok().encode("hello")), "<s>hello");
  EXPECT_EQ(tok().decode({}), "");
}

TEST_F(TokenizerTest, DecodeRejectsIdsOutsideTheVocabulary) {
  EXPECT_THROW(tok().decode({kImageTokenIndex}), lisa::Error);
  EXPECT_THROW(tok().decode({tok().size()}), lisa::Error);
  EXPECT_THROW(tok().id_to_piece(-1), lisa::Error);
}

// Seeded random bytes and code points: encoding and decoding never fail, ids stay in range, and
// decoded text is valid UTF-8.
TEST_F(TokenizerTest, RandomInputSurvivesEncodeAndDecode) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> fragments = {"[SEG]", "<im_start>", "<im_end>", "<image>", "<s>", "</s>",
                                              "<unk>", " ", "\n", "\xE2\x96\x81", "<0x41>"};
  auto uniform = [&](uint32_t low, uint32_t high) { return std::uniform_int_distribution<uint32_t>(low, high)(rng); };
  auto check = [&](const std::string& text) {
    for (const Ids& ids : {tok().encode(text), tok().encode(text, false), tok().tokenize_with_image(text)}) {
      Ids real;
      for (int64_t id : ids) {
        ASSERT_TRUE(id == kImageTokenIndex || (id >= 0 && id < tok().size())) << id;
        if (id != kImageTokenIndex) real.push_back(id);
      }
      const std::string decoded = tok().decode(real);
      ASSERT_EQ(lisa::tokenizer::repair_utf8(decoded), decoded);
    }
  };
  for (int i = 0; i < 10000; ++i) {
    std::string bytes(uniform(0, 24), '\0');
    for (char& c : bytes) c = static_cast<char>(uniform(0, 255));
    check(bytes);
  }
  for (int i = 0; i < 10000; ++i) {
    std::u32string text;
    for (uint32_t n = uniform(0, 16); n > 0; --n) {
      const uint32_t kind = uniform(0, 9);
      if (kind == 0) {
        for (char c : fragments[uniform(0, fragments.size() - 1)]) text.push_back(static_cast<unsigned char>(c));
      } else {
        char32_t c = kind < 5 ? uniform(0x20, 0x7E) : kind < 8 ? uniform(0x80, 0xFFFF) : uniform(0x10000, 0x10FFFF);
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // surrogates cannot be encoded
        text.push_back(c);
      }
    }
    check(lisa::tokenizer::encode_utf8(text));
  }
  // Random id sequences decode too (byte-fallback pieces that form no valid UTF-8 included).
  for (int i = 0; i < 10000; ++i) {
    Ids ids(uniform(0, 12));
    for (int64_t& id : ids) id = uniform(0, static_cast<uint32_t>(tok().size() - 1));
    const std::string decoded = tok().decode(ids);
    ASSERT_EQ(lisa::tokenizer::repair_utf8(decoded), decoded);
  }
}

// ---- reading the checkpoint's tokenizer files ----

class TokenizerFilesTest : public TokenizerTest {};

TEST_F(TokenizerFilesTest, IdsComeFromTheFiles) {
  TokenizerDir dir;
  // A fourth added token shows up with the id added_tokens.json gives it.
  dir.edit("added_tokens.json", [&](auto& added) { added["<extra_one>"] = tok().size(); });
  const Tokenizer extended = Tokenizer::load(dir.path());
  EXPECT_EQ(extended.size(), tok().size() + 1);
  EXPECT_EQ(extended.encode("a <extra_one>", false), concat({plain("a"), {tok().size()}}));
  EXPECT_EQ(extended.id_to_piece(tok().size()), "<extra_one>");
}

// Quirk of 4.31: a special token given as a plain string in special_tokens_map.json is not an
// AddedToken, so whitespace around it is stripped as around added tokens.
TEST_F(TokenizerFilesTest, PlainStringSpecialTokenStripsWhitespace) {
  TokenizerDir dir;
  dir.edit("special_tokens_map.json", [](auto& map) { map["bos_token"] = "<s>"; });
  const Tokenizer stripping = Tokenizer::load(dir.path());
  EXPECT_EQ(stripping.encode("a <s> b", false), plain("a<s>b"));
  EXPECT_EQ(stripping.bos_id(), tok().bos_id());
}

TEST_F(TokenizerFilesTest, StripFlagsOfAddedTokenObjects) {
  TokenizerDir dir;
  dir.edit("special_tokens_map.json", [](auto& map) {
    map["eos_token"] = {{"content", "</s>"}, {"lstrip", true}, {"rstrip", false}};
  });
  const Tokenizer flagged = Tokenizer::load(dir.path());
  EXPECT_EQ(flagged.encode("a </s> b", false), plain("a</s> b"));
}

TEST_F(TokenizerFilesTest, MissingSpecialTokensAreAppended) {
  TokenizerDir dir;
  dir.edit("special_tokens_map.json", [](auto& map) { map["additional_special_tokens"] = {"<extra_special>"}; });
  const Tokenizer extended = Tokenizer::load(dir.path());
  EXPECT_EQ(extended.size(), tok().size() + 1);
  EXPECT_EQ(extended.encode("x <extra_special> y", false), concat({plain("x"), {tok().size()}, plain("y")}));
}

TEST_F(TokenizerFilesTest, ConfigFlags) {
  TokenizerDir dir;
  dir.edit("tokenizer_config.json", [](auto& config) {
    config["add_eos_token"] = true;
    config["clean_up_tokenization_spaces"] = true;
  });
  const Tokenizer configured = Tokenizer::load(dir.path());
  EXPECT_EQ(configured.encode("a"), concat({{tok().bos_id()}, plain("a"), {tok().eos_id()}}));
  EXPECT_EQ(configured.decode(plain("it is [SEG].")), "it is [SEG].");
}

TEST_F(TokenizerFilesTest, UnsupportedOrBrokenFilesAreErrors) {
  auto expect_error = [](const std::function<void(TokenizerDir&)>& breakage, const std::string& mention) {
    TokenizerDir dir;
    breakage(dir);
    try {
      Tokenizer::load(dir.path());
      ADD_FAILURE() << "no error; expected one mentioning " << mention;
    } catch (const lisa::Error& e) {
      EXPECT_NE(std::string(e.what()).find(mention), std::string::npos) << e.what();
    }
  };
  expect_error([](auto& d) { d.edit("tokenizer_config.json", [](auto& c) { c["legacy"] = false; }); }, "legacy");
  expect_error([](auto& d) { d.edit("tokenizer_config.json", [](auto& c) { c["sp_model_kwargs"] = {{"enable_sampling", true}}; }); },
               "sp_model_kwargs");
  expect_error([](auto& d) { d.write_text("added_tokens.json", "{\"[SEG]\": "); }, "added_tokens.json");
  expect_error([](auto& d) { d.edit("added_tokens.json", [](auto& a) { a["<gap>"] = 999999; }); }, "<gap>");
  expect_error([](auto& d) { d.edit("special_tokens_map.json", [](auto& m) { m["unk_token"] = nullptr; }); }, "unk_token");
  expect_error([](auto& d) { d.edit("tokenizer_config.json", [](auto& c) { c["bos_token"] = {{"content", "<s>"}}; }); },
               "bos_token");
  expect_error([](auto& d) { d.write_text("tokenizer.model", "not a model"); }, "tokenizer.model");
  expect_error([](auto& d) { std::remove((d.path() / "tokenizer.model").c_str()); }, "tokenizer.model");
}

TEST_F(TokenizerFilesTest, AddedTokenAlreadyInTheVocabularyIsAnError) {
  TokenizerDir dir;
  const std::string piece = tok().id_to_piece(tok().encode("the", false).front());
  dir.edit("added_tokens.json", [&](auto& added) { added[piece] = tok().size(); });
  EXPECT_THROW(Tokenizer::load(dir.path()), lisa::Error);
}

// A tokenizer without [SEG] could never give a mask: it is refused when read, naming the file.
TEST_F(TokenizerFilesTest, LoadingNeedsTheSegToken) {
  auto expect_refused = [](const std::function<void(TokenizerDir&)>& change) {
    TokenizerDir dir;
    change(dir);
    try {
      Tokenizer::load(dir.path());
      ADD_FAILURE() << "a tokenizer without [SEG] loaded";
    } catch (const lisa::Error& e) {
      EXPECT_NE(std::string(e.what()).find((dir.path() / "added_tokens.json").string() + ": no [SEG] token"),
                std::string::npos) << e.what();
    }
  };
  expect_refused([](auto& d) { d.write("added_tokens.json", nlohmann::json::object()); });
  // Renamed, with every id still in place: only [SEG] is missing.
  expect_refused([](auto& d) {
    d.edit("added_tokens.json", [](auto& added) {
      added["<seg>"] = added["[SEG]"];
      added.erase("[SEG]");
    });
  });
  expect_refused([](auto& d) { std::remove((d.path() / "added_tokens.json").c_str()); });
  // [SEG] as an additional special token is appended to the vocabulary, so it counts.
  TokenizerDir special;
  special.write("added_tokens.json", nlohmann::json::object());
  special.edit("special_tokens_map.json", [](auto& map) { map["additional_special_tokens"] = {"[SEG]"}; });
  EXPECT_EQ(Tokenizer::load(special.path()).seg_token_id(), Tokenizer::load(special.path()).size() - 1);
}

}  // namespace
