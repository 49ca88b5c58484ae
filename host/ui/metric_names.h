// Prometheus names for what plugins define: a plugin's metric becomes its own family
// exaproxy_plugin_<plugin>_<metric> (labelled plugin="<conf.d entry>"), counters ending in _total
// exactly once and gauges never, as the format's conventions (and promtool) ask.
#pragma once

#include <string>
#include <string_view>

namespace exaproxy::ui {

// `text` in [a-z0-9_]: ASCII letters lowercased, every other byte '_'; "unnamed" when empty.
std::string metricNamePart(std::string_view text);

// "exaproxy_plugin_<plugin>_<metric>" with both parts sanitised, any trailing "_total" removed,
// then "_total" added back for a counter.
std::string pluginMetricFamily(std::string_view pluginName, std::string_view metric, bool counter);

} // namespace exaproxy::ui
