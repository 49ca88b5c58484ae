// /metrics in the Prometheus text exposition format (version 0.0.4): the counters of
// core/counters.h (names generated from the X-macro: exaproxy_<name>_total for counters,
// exaproxy_<name> for gauges), the two latency histograms in seconds with cumulative buckets,
// DNS totals, the worker pool's queue wait as a summary, and the plugins when they exist: the
// host's counters of each plugin as exaproxy_plugin_<counter>_total{plugin="<conf.d entry>"}, and
// every metric a plugin defined as its own family exaproxy_plugin_<name>_<metric>{plugin=...} with
// the kind and help it declared (ui/metric_names.h). Every family has HELP and TYPE. Called on UI
// threads only.
#pragma once

#include "ui/ui_sources.h"

#include <cstdint>
#include <string>

namespace exaproxy::ui {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string prometheusText(const UiSources& sources, int64_t startedUnixMs);

// A label value with \, " and newline escaped as the format requires.
std::string escapeLabelValue(std::string_view value);

} // namespace exaproxy::ui
