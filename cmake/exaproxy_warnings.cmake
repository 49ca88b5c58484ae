# Warnings every target of ours builds with; presets turn them into errors.
add_library(exaproxy_warnings INTERFACE)
target_compile_options(exaproxy_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wsuggest-override -Wpedantic)
