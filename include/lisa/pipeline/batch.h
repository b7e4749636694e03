#pragma once
// Batched answering (issue 15): B questions, each about its own Session, answered together by
// Context::ask_batch with the same answers as B calls of Session::ask (ids equal; masks equal up to
// the last bits of fp32 GEMMs over B rows, see docs/batching.md).
//
// How a batch runs: each question's prompt is prepared and prefilled on its own (batch 1, exactly
// as ask does; CLIP ran when its session opened), then one decoding loop feeds every unfinished
// sequence per step (models/batch_generation.h), each in a KV cache of its own; a sequence leaves at
// its own EOS or token limit, and its freed row is not refilled. The [SEG] states, the mask decoder
// and the post-processing then run per question. A question whose AskOptions::stop_requested says
// so leaves the loop after its next token, and its BatchAnswer holds AskStopped, as Session::ask
// would throw; the others go on.
//
// Timings per answer: its own stages as ask reports them, except decode_ms, where each batched step
// is charged in equal parts to the sequences that took part in it (so the answers' decode_ms add up
// to the loop's time), and total_ms, the sum of the answer's own stages and its decode share.
//
// Memory: the batch's KV caches (one per question, all of the largest question's capacity) stay
// under BatchOptions::max_kv_cache_bytes: a batch that would exceed it runs as several smaller ones,
// one after the other; a question that does not fit even alone fails with a message saying so.
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "lisa/pipeline/answer.h"
#include "lisa/pipeline/options.h"

namespace lisa::pipeline {

class Session;

struct BatchQuestion {
  Session* session = nullptr;  // distinct sessions within a batch, opened through the same Context
  std::string user_text;
  AskOptions options;  // per question: token limit, EOS, --force-seg, streaming and mask callbacks
};

// Either the answer or the question's own failure (a prompt too long, a mask callback that threw,
// ...): the other questions of the batch are answered regardless. A failure in the shared decoding
// loop (out of memory, an on_text callback that threw) is every unfinished question's failure.
struct BatchAnswer {
  std::optional<Answer> answer;
  std::exception_ptr error;
};

struct BatchOptions {
  // Bound on the bytes of the batch's KV caches (8 GiB: LLaMA-7B at bf16 holds 16 sequences of up
  // to 1024 positions).
  int64_t max_kv_cache_bytes = int64_t{8} << 30;
};

}  // namespace lisa::pipeline
