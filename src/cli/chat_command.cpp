// `lisa chat`: chat.py's loop (a prompt, then an image path; the answer; mask files in --out), kept
// going on the same image so that a conversation can follow up. Works with piped stdin.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "lisa/error.h"
#include "lisa/image/read_image.h"
#include "lisa/pipeline/context.h"
#include "lisa/pipeline/engine.h"
#include "lisa/pipeline/session.h"
#include "lisa/render/mask_files.h"
#include "lisa/render/mask_image.h"
#include "model_options.h"

namespace lisa::cli {

namespace {
struct ChatArgs {
  ModelOptions model;
  std::string out = "./vis_output";
  bool force_seg = false;
};

extern "C" void leave_on_interrupt(int) {
  constexpr char kNewline = '\n';
  [[maybe_unused]] auto written = write(STDOUT_FILENO, &kNewline, 1);
  _exit(130);
}

bool read_line(const char* question, std::string& line) {
  std::cout << question << std::flush;
  if (!std::getline(std::cin, line)) {
    std::cout << "\n";
    return false;
  }
  return true;
}

const char* kHelp =
    "Type a question about the image. /image PATH: another image (new conversation), /reset: forget the\n"
    "conversation, keep the image, /quit: leave (so do Ctrl-D and Ctrl-C).";

struct OpenImage {
  std::string path;
  cv::Mat rgb;
  pipeline::Session session;
};

std::optional<OpenImage> open_image(pipeline::Context& context, const std::string& path) {
  try {
    auto picture = image::read_image(path);
    cv::Mat rgb = cv::Mat(picture.height(), picture.width(), CV_8UC3, picture.data()).clone();
    return OpenImage{path, std::move(rgb), context.open(std::move(picture))};
  } catch (const Error& e) {
    std::cout << "cannot use this image: " << e.what() << "\n";
    return std::nullopt;
  }
}

void answer(OpenImage& current, const std::string& question, const ChatArgs& args) {
  pipeline::AskOptions ask;
  ask.max_new_tokens = args.model.max_new_tokens;
  ask.force_seg = args.force_seg;
  ask.on_text = [](const std::string& piece) { std::cout << piece << std::flush; };
  std::cout << "ASSISTANT: " << std::flush;
  const auto result = current.session.ask(question, ask);
  std::cout << "\n";
  if (result.masks.empty()) {
    std::cout << "(no [SEG] in this answer, so no mask; --force-seg asks for one anyway)\n";
    return;
  }
  if (result.forced_seg) std::cout << "(no [SEG] in this answer: the mask below is forced with \"Sure, [SEG].\")\n";
  std::filesystem::create_directories(args.out);
  const std::string stem = render::chat_output_stem(current.path);
  for (size_t i = 0; i < result.masks.size(); ++i) {
    const auto files = render::write_chat_mask_files(args.out, stem, static_cast<int>(i), current.rgb,
                                                     render::mask_image(result.masks[i].binary));
    std::cout << files.mask.string() << " has been saved.\n" << files.masked_image.string() << " has been saved.\n";
  }
}
}  // namespace

Action add_chat_command(CLI::App& app) {
  auto args = std::make_shared<ChatArgs>();
  auto* sub = app.add_subcommand("chat", "Chat about an image; every [SEG] in an answer becomes a mask");
  sub->footer(kHelp);
  add_model_options(*sub, args->model);
  sub->add_option("-o,--out", args->out, "where {stem}_mask_{i}.jpg and {stem}_masked_img_{i}.jpg go")
      ->capture_default_str();
  sub->add_flag("--force-seg", args->force_seg,
                "when an answer has no [SEG], take the mask of the answer \"Sure, [SEG].\" (said so)");
  return [args] {
    std::signal(SIGINT, leave_on_interrupt);
    const auto engine = pipeline::Engine::load(args->model.engine_options());
    pipeline::Context context(*engine);
    std::cout << kHelp << "\n";
    std::optional<OpenImage> current;
    std::string line;
    while (read_line("Please input your prompt: ", line)) {
      if (line == "/quit") break;
      if (line == "/reset") {
        if (current) current->session.reset();
        std::cout << "conversation forgotten\n";
        continue;
      }
      if (line.rfind("/image", 0) == 0) {
        std::string path = line.size() > 7 ? line.substr(7) : "";
        if (path.empty() && !read_line("Please input the image path: ", path)) break;
        current = open_image(context, path);
        continue;
      }
      if (!current) {
        std::string path;
        if (!read_line("Please input the image path: ", path)) break;
        current = open_image(context, path);
        if (!current) continue;
      }
      try {
        answer(*current, line, *args);
      } catch (const Error& e) {
        std::cout << "\nerror: " << e.what() << "\n";
      }
    }
    return 0;
  };
}

}  // namespace lisa::cli
