#include "ui/metric_names.h"

namespace exaproxy::ui {

std::string metricNamePart(std::string_view text) {
  if (text.empty())
    return "unnamed";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
      out += c;
    else
      out += '_';
  }
  return out;
}

std::string pluginMetricFamily(std::string_view pluginName, std::string_view metric, bool counter) {
  std::string name = "exaproxy_plugin_" + metricNamePart(pluginName) + "_" + metricNamePart(metric);
  constexpr std::string_view kTotal = "_total";
  while (name.size() > kTotal.size() && name.ends_with(kTotal))
    name.resize(name.size() - kTotal.size());
  if (counter)
    name += kTotal;
  return name;
}

} // namespace exaproxy::ui
