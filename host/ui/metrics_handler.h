// /metrics in the Prometheus text exposition format (version 0.0.4): the counters of
// core/counters.h (names generated from the X-macro: exaproxy_<name>_total for counters,
// exaproxy_<name> for gauges), the two latency histograms in seconds with cumulative buckets,
// DNS totals, and the worker pool and plugins when they exist. Called on UI threads only.
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
