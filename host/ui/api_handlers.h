// The JSON API under /api/v1/, as plain functions of the sources (no HTTP here, so the shapes are
// unit-tested with fake sources). Each returns the body of a 200 answer; the server turns an
// exception into a 500. Called on UI threads only.
#pragma once

#include "ui/sampler.h"
#include "ui/ui_sources.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace exaproxy::ui {

class ApiHandlers {
public:
  static constexpr size_t kDefaultLimit = 100;
  static constexpr size_t kMaxLimit = 5000;

  // Both must outlive this object. startedUnixMs is the process start, for uptime.
  ApiHandlers(const UiSources& sources, const Sampler& sampler, int64_t startedUnixMs);

  // Totals, rates over the last second, DNS, errors by kind, latency percentiles, uptime.
  nlohmann::json stats() const;
  // Client connections, oldest first, with a count per state; offset/limit page through them.
  nlohmann::json connections(size_t offset, size_t limit) const;
  // Loaded and refused plugins, or the conf.d plugin entries when there is no plugin runtime.
  nlohmann::json plugins() const;
  // Resolver totals and cache entries (positive and negative) with their remaining TTL.
  nlohmann::json dns(size_t offset, size_t limit) const;
  nlohmann::json workers() const;
  // Every conf.d/--set entry with file:line, marking the ones a later entry overrides.
  nlohmann::json config() const;
  // The in-memory log; minLevel "warning" keeps warnings and worse.
  nlohmann::json log(const std::string& minLevel) const;
  // Graph points after sinceMs (all 5 minutes for 0).
  nlohmann::json history(int64_t sinceMs) const;

private:
  const UiSources& sources_;
  const Sampler& sampler_;
  int64_t startedUnixMs_;
};

// Estimated percentile q (0..1) of a histogram in milliseconds, interpolating inside the bucket;
// observations in the +Inf bucket are reported at the last finite bound. 0 when empty.
double histogramPercentileMs(const HistogramValues& h, double q);

} // namespace exaproxy::ui
