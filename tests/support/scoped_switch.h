#pragma once
// Sets one of the engine's process-wide on/off switches for a test's scope and restores the value
// it had whatever the test does (a failed assertion included).

namespace lisa::testing {

class ScopedSwitch {
 public:
  ScopedSwitch(bool (*get)(), void (*set)(bool), bool on) : set_(set), before_(get()) { set_(on); }
  ~ScopedSwitch() { set_(before_); }
  ScopedSwitch(const ScopedSwitch&) = delete;
  ScopedSwitch& operator=(const ScopedSwitch&) = delete;

 private:
  void (*set_)(bool);
  bool before_;
};

}  // namespace lisa::testing
