#include "logs/tokens.h"

#include <charconv>
#include <limits>

#include "common/hashing.h"

namespace lamina::logs {

namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

uint64_t Biased(int64_t timestamp) { return static_cast<uint64_t>(timestamp) ^ kSignBit; }
int64_t Unbiased(uint64_t biased) { return static_cast<int64_t>(biased ^ kSignBit); }

// `value` as exactly `width` decimal digits (the low ones when it has more).
std::string Digits(uint64_t value, size_t width) {
  std::string out(width, '0');
  for (size_t i = width; i > 0 && value > 0; --i) {
    out[i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out;
}

std::optional<uint64_t> ParseDigits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

void AppendBigEndian(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::optional<std::string> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int high = nibble(text[i]), low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

}  // namespace

StreamPosition Successor(StreamPosition position) {
  if (position.sequence != std::numeric_limits<uint64_t>::max())
    return {position.timestamp, position.sequence + 1};
  if (position.timestamp == std::numeric_limits<int64_t>::max()) return position;
  return {position.timestamp + 1, 0};
}

StreamPosition Predecessor(StreamPosition position) {
  if (position.sequence != 0) return {position.timestamp, position.sequence - 1};
  if (position.timestamp == std::numeric_limits<int64_t>::min()) return position;
  return {position.timestamp - 1, std::numeric_limits<uint64_t>::max()};
}

std::string EncodeStreamToken(const StreamToken& token) {
  return std::string(token.forward ? "f/" : "b/") + Digits(token.stream_id, 16) +
         Digits(Biased(token.position.timestamp), 20) + Digits(token.position.sequence, 20);
}

std::optional<StreamToken> DecodeStreamToken(std::string_view text) {
  if (text.size() != 58 || (text[0] != 'f' && text[0] != 'b') || text[1] != '/')
    return std::nullopt;
  auto stream = ParseDigits(text.substr(2, 16));
  auto timestamp = ParseDigits(text.substr(18, 20));
  auto sequence = ParseDigits(text.substr(38, 20));
  if (!stream || !timestamp || !sequence) return std::nullopt;
  return StreamToken{text[0] == 'f', *stream, {Unbiased(*timestamp), *sequence}};
}

std::string EncodeFilterToken(uint64_t group_id, const GroupPosition& position) {
  std::string bytes;
  AppendBigEndian(bytes, group_id);
  AppendBigEndian(bytes, Biased(position.timestamp));
  AppendBigEndian(bytes, position.stream_id);
  AppendBigEndian(bytes, position.sequence);
  return HexEncode(bytes);
}

std::optional<std::pair<uint64_t, GroupPosition>> DecodeFilterToken(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  auto bytes = HexDecode(text);
  if (!bytes) return std::nullopt;
  std::string_view view = *bytes;
  GroupPosition position{Unbiased(ReadBigEndian(view.substr(8))), ReadBigEndian(view.substr(16)),
                         ReadBigEndian(view.substr(24))};
  return std::make_pair(ReadBigEndian(view), position);
}

std::string EventId(const GroupPosition& position) {
  return Digits(Biased(position.timestamp), 20) + Digits(position.stream_id, 16) +
         Digits(position.sequence, 20);
}

std::string EncodeNameToken(std::string_view name) { return "n" + HexEncode(name); }

std::optional<std::string> DecodeNameToken(std::string_view text) {
  if (text.size() < 3 || text[0] != 'n') return std::nullopt;
  return HexDecode(text.substr(1));
}

std::string EncodeTimeNameToken(int64_t time, std::string_view name) {
  return "t" + Digits(Biased(time), 20) + HexEncode(name);
}

std::optional<std::pair<int64_t, std::string>> DecodeTimeNameToken(std::string_view text) {
  if (text.size() < 23 || text[0] != 't') return std::nullopt;
  auto time = ParseDigits(text.substr(1, 20));
  auto name = HexDecode(text.substr(21));
  if (!time || !name) return std::nullopt;
  return std::make_pair(Unbiased(*time), std::move(*name));
}

std::string SequenceToken(uint64_t value) { return Digits(value, 56); }

}  // namespace lamina::logs
