// `lisa merge OUT`: the front of lisa::workflow::merge_shards.
#include <iostream>

#include "commands.h"
#include "lisa/workflow/merge.h"

namespace lisa::cli {

Action add_merge_command(CLI::App& app) {
  auto out = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("merge", "Join the shards of a sharded segment or eval run in one folder");
  sub->footer(
      "Checks that OUT holds every shard's manifest (manifest.shard-K-of-N.json), that they come from one\n"
      "run (same N, input and arguments) and that their results files hold each item of the input exactly\n"
      "once; then writes results.jsonl in input order (and, for eval, report.json and per_image.csv from\n"
      "the per-image intersections and unions), as an unsharded run does. On any problem it names the\n"
      "shard, writes nothing and exits with 1. The shards' files stay.");
  sub->add_option("out", *out, "the --out folder the shards wrote into")->required();
  return [out] {
    const auto summary = workflow::merge_shards(*out);
    std::cerr << "merge: " << summary.num_shards << " shard(s) of a `lisa " << summary.command << "` run, "
              << summary.items << " items (" << summary.ok << " done, " << summary.failed << " failed)\n";
    std::cout << (std::filesystem::path(*out) / "results.jsonl").string() << "\n";
    if (summary.command == "eval") std::cout << (std::filesystem::path(*out) / "report.json").string() << "\n";
    return 0;
  };
}

}  // namespace lisa::cli
