// The restricted pickle interpreter on its own (the data.pkl record of a torch.save archive), so
// the fuzzer spends its time on opcodes rather than on getting a zip archive right.
#include "fuzz_target.h"
#include "io/state_dict_pickle.h"

LISA_FUZZ_TARGET(pickle) {
  lisa::fuzz::rejecting_user_errors([&] { lisa::io::read_state_dict_pickle(data, size, "fuzz/data.pkl"); });
}
