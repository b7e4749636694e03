#include "io/state_dict_pickle.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "io/little_endian.h"
#include "lisa/error.h"

namespace lisa::io {

namespace {
// Far above what a real state dict needs (about 15 objects per tensor), far below what would
// exhaust memory.
constexpr size_t kMaxObjects = 1u << 22;

enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

// Objects live in the interpreter's arena and point at each other without ownership, so any
// nesting depth or cycle a file builds is harmless to free.
struct Object {
  Kind kind;
  int64_t integer = 0;  // Int and Bool; the index into storages / tensors for Storage / Tensor
  double real = 0;
  std::string text;             // String; Global as "module.name"
  std::vector<Object*> items;   // Tuple, List; Dict as key, value, key, value, ...
};

const std::map<std::string, at::ScalarType>& storage_classes() {
  static const std::map<std::string, at::ScalarType> classes = {
      {"torch.FloatStorage", at::kFloat},     {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},       {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},       {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},     {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},       {"torch.BoolStorage", at::kBool}};
  return classes;
}

const char* const kOrderedDict = "collections.OrderedDict";
const char* const kRebuildTensor = "torch._utils._rebuild_tensor_v2";
const char* const kRebuildParameter = "torch._utils._rebuild_parameter";

bool allowed_global(const std::string& name) {
  return name == kOrderedDict || name == kRebuildTensor || name == kRebuildParameter ||
         storage_classes().count(name) > 0;
}

class Interpreter {
 public:
  Interpreter(const uint8_t* bytes, uint64_t size, const std::string& where)
      : bytes_(bytes), size_(size), where_(where) {}

  PickledStateDict run() {
    while (true) {
      const uint64_t opcode_at = position_;
      const uint8_t opcode = take(1)[0];
      if (opcode == '.') break;
      step(opcode, opcode_at);
    }
    if (stack_.size() != 1 || !marks_.empty()) fail("pickle ends with ", stack_.size(), " values on its stack");
    return state_dict(stack_.back());
  }

 private:
  template <typename... Problem>
  [[noreturn]] void fail(const Problem&... problem) const {
    throw Error(detail::concat(where_, ": ", problem..., " (at pickle byte ", position_, ")"));
  }

  const uint8_t* take(uint64_t count) {
    if (size_ - position_ < count) fail("pickle is truncated: wants ", count, " more bytes");
    const uint8_t* at = bytes_ + position_;
    position_ += count;
    return at;
  }

  std::string line() {
    const uint64_t start = position_;
    while (take(1)[0] != '\n') {
    }
    return std::string(reinterpret_cast<const char*>(bytes_ + start), position_ - start - 1);
  }

  Object* make(Kind kind) {
    if (arena_.size() >= kMaxObjects) fail("pickle builds more than ", kMaxObjects, " objects");
    arena_.push_back(std::make_unique<Object>());
    arena_.back()->kind = kind;
    return arena_.back().get();
  }

  Object* make_int(int64_t value) {
    Object* object = make(Kind::Int);
    object->integer = value;
    return object;
  }

  void push(Object* object) { stack_.push_back(object); }

  Object* pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle pops an empty stack");
    Object* top = stack_.back();
    stack_.pop_back();
    return top;
  }

  Object* top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle reads an empty stack");
    return stack_.back();
  }

  std::vector<Object*> pop_to_mark() {
    if (marks_.empty()) fail("pickle closes a MARK it never opened");
    std::vector<Object*> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  Object* expect(Object* object, Kind kind, const char* what) {
    if (object->kind != kind)
      fail(what, " should be a ", kind_name(kind), ", not a ", kind_name(object->kind));
    return object;
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }

  Object* memo_get(uint64_t index) {
    auto found = memo_.find(index);
    if (found == memo_.end()) fail("pickle reads memo slot ", index, " that was never written");
    return found->second;
  }

  Object* tuple(std::vector<Object*> items) {
    Object* object = make(Kind::Tuple);
    object->items = std::move(items);
    return object;
  }

  void set_items(Object* dict, const std::vector<Object*>& pairs) {
    expect(dict, Kind::Dict, "SETITEMS target");
    if (pairs.size() % 2) fail("SETITEMS with an odd number of values");
    dict->items.insert(dict->items.end(), pairs.begin(), pairs.end());
  }

  void step(uint8_t opcode, uint64_t opcode_at) {
    switch (opcode) {
      case 0x80: take(1); return;  // PROTO: any version; the opcodes themselves are checked
      case '(': marks_.push_back(stack_.size()); return;
      case ')': push(tuple({})); return;
      case 't': push(tuple(pop_to_mark())); return;
      case 0x85: { Object* a = pop(); push(tuple({a})); return; }
      case 0x86: { Object* b = pop(); Object* a = pop(); push(tuple({a, b})); return; }
      case 0x87: { Object* c = pop(); Object* b = pop(); Object* a = pop(); push(tuple({a, b, c})); return; }
      case ']': push(make(Kind::List)); return;
      case 'a': { Object* item = pop(); expect(top(), Kind::List, "APPEND target")->items.push_back(item); return; }
      case 'e': {
        auto items = pop_to_mark();
        Object* list = expect(top(), Kind::List, "APPENDS target");
        list->items.insert(list->items.end(), items.begin(), items.end());
        return;
      }
      case '}': push(make(Kind::Dict)); return;
      case 's': { Object* value = pop(); Object* key = pop(); set_items(top(), {key, value}); return; }
      case 'u': { auto pairs = pop_to_mark(); set_items(top(), pairs); return; }
      case 'N': push(make(Kind::None)); return;
      case 0x88:
      case 0x89: { Object* flag = make(Kind::Bool); flag->integer = opcode == 0x88; push(flag); return; }
      case 'K': push(make_int(take(1)[0])); return;
      case 'M': push(make_int(load_le<uint16_t>(take(2)))); return;
      case 'J': push(make_int(load_le<int32_t>(take(4)))); return;
      case 0x8a: push(make_int(long1())); return;
      case 'G': {  // BINFLOAT is big-endian
        const uint8_t* raw = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | raw[i];
        Object* real = make(Kind::Float);
        std::memcpy(&real->real, &bits, 8);
        push(real);
        return;
      }
      case 'X': {
        const uint32_t length = load_le<uint32_t>(take(4));
        Object* text = make(Kind::String);
        text->text.assign(reinterpret_cast<const char*>(take(length)), length);
        push(text);
        return;
      }
      case 'c': push(global()); return;
      case 'R': { Object* args = pop(); Object* callable = pop(); push(reduce(callable, args)); return; }
      case 'b': {  // BUILD: only OrderedDict state (the _metadata of a state dict), which is not needed
        pop();
        expect(top(), Kind::Dict, "BUILD target");
        return;
      }
      case 'Q': push(persistent_load(pop())); return;
      case 'q': memo_put(take(1)[0]); return;
      case 'r': memo_put(load_le<uint32_t>(take(4))); return;
      case 'h': push(memo_get(take(1)[0])); return;
      case 'j': push(memo_get(load_le<uint32_t>(take(4)))); return;
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", opcode);
        position_ = opcode_at;
        fail(std::string("unsupported pickle opcode ") + hex);
      }
    }
  }

  int64_t long1() {
    const uint8_t length = take(1)[0];
    if (length > 8) fail("integer of ", static_cast<int>(length), " bytes is out of range");
    const uint8_t* raw = take(length);
    uint64_t bits = 0;
    for (int i = length - 1; i >= 0; --i) bits = (bits << 8) | raw[i];
    if (length > 0 && length < 8 && (raw[length - 1] & 0x80)) bits |= ~uint64_t{0} << (8 * length);  // sign
    return static_cast<int64_t>(bits);
  }

  Object* global() {
    const std::string module = line();
    const std::string name = line();
    const std::string full = module + "." + name;
    if (!allowed_global(full))
      fail("refuses global '" + full + "': only tensors, storages and OrderedDict may appear in a checkpoint");
    Object* object = make(Kind::Global);
    object->text = full;
    return object;
  }

  Object* persistent_load(Object* pid) {
    expect(pid, Kind::Tuple, "persistent id");
    const auto& f = pid->items;
    if (f.size() != 5 || f[0]->kind != Kind::String || f[0]->text != "storage")
      fail("persistent id is not ('storage', type, key, location, numel)");
    const std::string& type = expect(f[1], Kind::Global, "storage type")->text;
    auto dtype = storage_classes().find(type);
    if (dtype == storage_classes().end()) fail("storage type '" + type + "' is not a storage class");
    const std::string& key = expect(f[2], Kind::String, "storage key")->text;
    expect(f[3], Kind::String, "storage location");
    const int64_t numel = expect(f[4], Kind::Int, "storage size")->integer;
    if (numel < 0) fail("storage '" + key + "' has negative size");

    auto [known, inserted] = storage_index_.emplace(key, result_.storages.size());
    if (inserted) {
      result_.storages.push_back({key, dtype->second, numel});
    } else {
      const auto& first = result_.storages[known->second];
      if (first.dtype != dtype->second || first.numel != numel)
        fail("storage '" + key + "' is described twice, differently");
    }
    Object* storage = make(Kind::Storage);
    storage->integer = static_cast<int64_t>(known->second);
    return storage;
  }

  std::vector<int64_t> int_tuple(Object* object, const char* what) {
    std::vector<int64_t> values;
    for (Object* item : expect(object, Kind::Tuple, what)->items) {
      const int64_t value = expect(item, Kind::Int, what)->integer;
      if (value < 0) fail(std::string(what) + " has a negative entry");
      values.push_back(value);
    }
    return values;
  }

  Object* reduce(Object* callable, Object* args) {
    const std::string& name = expect(callable, Kind::Global, "called object")->text;
    const auto& a = expect(args, Kind::Tuple, "call arguments")->items;
    if (name == kOrderedDict) {
      if (!a.empty()) fail("OrderedDict called with arguments");
      return make(Kind::Dict);
    }
    if (name == kRebuildParameter) {
      if (a.size() != 3) fail("_rebuild_parameter takes 3 arguments, got ", a.size());
      return expect(a[0], Kind::Tensor, "parameter data");
    }
    if (name == kRebuildTensor) {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.size() != 6 && a.size() != 7)
        fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got ", a.size());
      PickledTensor tensor;
      tensor.storage = static_cast<size_t>(expect(a[0], Kind::Storage, "tensor storage")->integer);
      tensor.storage_offset = expect(a[1], Kind::Int, "storage offset")->integer;
      if (tensor.storage_offset < 0) fail("negative storage offset");
      tensor.sizes = int_tuple(a[2], "tensor size");
      tensor.strides = int_tuple(a[3], "tensor stride");
      if (tensor.sizes.size() != tensor.strides.size()) fail("tensor size and stride differ in length");
      Object* object = make(Kind::Tensor);
      object->integer = static_cast<int64_t>(tensors_.size());
      tensors_.push_back(std::move(tensor));
      return object;
    }
    fail("'" + name + "' cannot be called");  // a storage class: torch.save never calls one
  }

  PickledStateDict state_dict(Object* root) {
    if (root->kind != Kind::Dict) fail("holds a ", kind_name(root->kind), ", not a dict of tensors");
    for (size_t i = 0; i < root->items.size(); i += 2) {
      Object* key = root->items[i];
      Object* value = root->items[i + 1];
      if (key->kind != Kind::String) fail("state dict has a key that is a ", kind_name(key->kind));
      if (value->kind != Kind::Tensor)
        fail("state dict entry '", key->text, "' is a ", kind_name(value->kind), ", not a tensor");
      PickledTensor tensor = tensors_[static_cast<size_t>(value->integer)];
      tensor.name = key->text;
      result_.tensors.push_back(std::move(tensor));
    }
    return std::move(result_);
  }

  const uint8_t* bytes_;
  uint64_t size_;
  const std::string& where_;
  uint64_t position_ = 0;
  std::vector<std::unique_ptr<Object>> arena_;
  std::vector<Object*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Object*> memo_;
  std::map<std::string, size_t> storage_index_;
  std::vector<PickledTensor> tensors_;
  PickledStateDict result_;
};
}  // namespace

PickledStateDict read_state_dict_pickle(const uint8_t* bytes, uint64_t size, const std::string& where) {
  return Interpreter(bytes, size, where).run();
}

}  // namespace lisa::io
