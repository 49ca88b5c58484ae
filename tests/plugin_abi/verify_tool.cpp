// What `exaproxy --verify-plugin FILE.so` runs, as a standalone tool for the SDK test (the tests
// must not depend on main.cpp's wiring).
#include "plugin/plugin_runtime.h"

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: plugin_verify_tool FILE.so\n";
    return 2;
  }
  return exaproxy::plugin::PluginRuntime::verifyPlugin(argv[1]);
}
