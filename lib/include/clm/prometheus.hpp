// The Prometheus text exposition format (version 0.0.4), as clm-server's /metrics and
// the node_exporter textfiles of clm-cert/clm-key status write it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace clm {

// Return text with every byte sequence that is not UTF-8 replaced by U+FFFD: Prometheus
// refuses a whole exposition over one invalid label value.
std::string valid_utf8(std::string_view text);

// Return value as a label value: valid UTF-8 (valid_utf8), with backslash, double
// quote and newline escaped.
std::string escape_label_value(std::string_view value);

// Return text escaped for a HELP line: backslash and newline.
std::string escape_help(std::string_view text);

// Return v as the text format writes a sample value: +Inf, -Inf, NaN, an integer
// without a fraction, anything else in the shortest form that reads back as v.
std::string format_sample_value(double v);

// One label of a sample.
struct Label {
  std::string_view name;
  std::string_view value;
};

// Exposition text being written: metric families (HELP and TYPE lines) and their samples.
class Exposition {
public:
  // Start the family name of type ("counter", "gauge", "histogram") with its help text.
  void family(std::string_view name, std::string_view type, std::string_view help);

  // Write one sample: name{labels} value.
  void sample(std::string_view name, std::span<const Label> labels, double value);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value)
  {
    sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
  }
  void sample(std::string_view name, std::span<const Label> labels, std::uint64_t value);
  void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value)
  {
    sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
  }

  // Write the samples of one histogram: a cumulative _bucket per bound and +Inf, _sum
  // and _count. counts are per bucket (not cumulative), bounds.size() + 1 of them, the
  // last for values above every bound.
  void histogram(std::string_view name, std::span<const Label> labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

  // Return the text written so far.
  const std::string& text() const { return m_text; }

private:
  void write_labels(std::span<const Label> labels, const Label* extra);

  std::string m_text;
};

}  // namespace clm
