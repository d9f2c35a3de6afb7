#include <clm/prometheus.hpp>

#include <charconv>
#include <cmath>

namespace clm {

std::string valid_utf8(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    std::uint32_t cp = n == 1 ? b : n == 2 ? b & 0x1Fu : n == 3 ? b & 0x0Fu : b & 0x07u;
    for (std::size_t k = 1; ok && k < n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
    ok = ok
         && !((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
              || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF);
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string escape_label_value(std::string_view value)
{
  std::string out;
  out.reserve(value.size());
  for (const char c : valid_utf8(value)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_sample_value(double v)
{
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  // Whole numbers up to 2^53 are exact: written without a fraction or an exponent.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    return std::string(buf, end);
  }
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help)
{
  m_text += "# HELP ";
  m_text += name;
  m_text += ' ';
  m_text += escape_help(help);
  m_text += "\n# TYPE ";
  m_text += name;
  m_text += ' ';
  m_text += type;
  m_text += '\n';
}

void Exposition::write_labels(std::span<const Label> labels, const Label* extra)
{
  if (labels.empty() && !extra) {
    return;
  }
  m_text += '{';
  bool first = true;
  const auto one = [&](const Label& l) {
    if (!first) {
      m_text += ',';
    }
    first = false;
    m_text += l.name;
    m_text += "=\"";
    m_text += escape_label_value(l.value);
    m_text += '"';
  };
  for (const Label& l : labels) {
    one(l);
  }
  if (extra) {
    one(*extra);
  }
  m_text += '}';
}

void Exposition::sample(std::string_view name, std::span<const Label> labels, double value)
{
  m_text += name;
  write_labels(labels, nullptr);
  m_text += ' ';
  m_text += format_sample_value(value);
  m_text += '\n';
}

void Exposition::sample(std::string_view name, std::span<const Label> labels, std::uint64_t value)
{
  m_text += name;
  write_labels(labels, nullptr);
  m_text += ' ';
  m_text += std::to_string(value);
  m_text += '\n';
}

void Exposition::histogram(std::string_view name, std::span<const Label> labels, std::span<const double> bounds,
                           std::span<const std::uint64_t> counts, double sum)
{
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    const std::string le = format_sample_value(bounds[i]);
    const Label le_label{"le", le};
    m_text += bucket;
    write_labels(labels, &le_label);
    m_text += ' ' + std::to_string(cumulative) + '\n';
  }
  for (std::size_t i = bounds.size(); i < counts.size(); ++i) {
    cumulative += counts[i];
  }
  const Label inf{"le", "+Inf"};
  m_text += bucket;
  write_labels(labels, &inf);
  m_text += ' ' + std::to_string(cumulative) + '\n';
  sample(std::string(name) + "_sum", labels, sum);
  sample(std::string(name) + "_count", labels, cumulative);
}

}  // namespace clm
