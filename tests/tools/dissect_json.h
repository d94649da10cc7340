// A small strict JSON reader for the hail-dissect tests: enough to check the
// --json shape (objects, arrays, strings with escapes, numbers, literals).
// Throws std::runtime_error on anything that is not valid JSON.
#ifndef HAIL_TESTS_TOOLS_DISSECT_JSON_H_
#define HAIL_TESTS_TOOLS_DISSECT_JSON_H_

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hail::testing {

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // number (as written) or string (decoded)
  std::vector<Json> array;
  // Object members in order: object_keys[i] names object_values[i].
  std::vector<std::string> object_keys;
  std::vector<Json> object_values;

  bool is_null() const { return type == Type::kNull; }
  bool has(std::string_view key) const {
    for (const std::string& k : object_keys) {
      if (k == key) return true;
    }
    return false;
  }
  const Json& operator[](std::string_view key) const {
    for (size_t i = 0; i < object_keys.size(); ++i) {
      if (object_keys[i] == key) return object_values[i];
    }
    throw std::runtime_error("no key " + std::string(key));
  }
  std::vector<std::string> keys() const { return object_keys; }
  long long number() const { return std::stoll(text); }

  static Json Parse(std::string_view input) {
    size_t pos = 0;
    Json value = ParseValue(input, &pos);
    SkipSpace(input, &pos);
    if (pos != input.size()) throw std::runtime_error("trailing bytes");
    return value;
  }

 private:
  static void SkipSpace(std::string_view in, size_t* pos) {
    while (*pos < in.size() && (in[*pos] == ' ' || in[*pos] == '\n' ||
                                in[*pos] == '\r' || in[*pos] == '\t')) {
      ++*pos;
    }
  }
  static char Peek(std::string_view in, size_t pos) {
    if (pos >= in.size()) throw std::runtime_error("unexpected end");
    return in[pos];
  }
  static void Expect(std::string_view in, size_t* pos, std::string_view word) {
    if (in.substr(*pos, word.size()) != word) {
      throw std::runtime_error("expected " + std::string(word));
    }
    *pos += word.size();
  }
  static std::string ParseString(std::string_view in, size_t* pos) {
    Expect(in, pos, "\"");
    std::string out;
    for (;;) {
      char c = Peek(in, *pos);
      ++*pos;
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) {
        throw std::runtime_error("raw control character in string");
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      char e = Peek(in, *pos);
      ++*pos;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u': {
          if (*pos + 4 > in.size()) throw std::runtime_error("short \\u");
          unsigned cp =
              std::stoul(std::string(in.substr(*pos, 4)), nullptr, 16);
          *pos += 4;
          if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          } else {
            out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
          }
          break;
        }
        default:
          throw std::runtime_error("bad escape");
      }
    }
  }
  static Json ParseValue(std::string_view in, size_t* pos) {
    SkipSpace(in, pos);
    Json v;
    char c = Peek(in, *pos);
    if (c == '{') {
      v.type = Type::kObject;
      ++*pos;
      SkipSpace(in, pos);
      if (Peek(in, *pos) == '}') {
        ++*pos;
        return v;
      }
      for (;;) {
        SkipSpace(in, pos);
        std::string key = ParseString(in, pos);
        SkipSpace(in, pos);
        Expect(in, pos, ":");
        v.object_keys.push_back(key);
        v.object_values.push_back(ParseValue(in, pos));
        SkipSpace(in, pos);
        if (Peek(in, *pos) == ',') {
          ++*pos;
          continue;
        }
        Expect(in, pos, "}");
        return v;
      }
    }
    if (c == '[') {
      v.type = Type::kArray;
      ++*pos;
      SkipSpace(in, pos);
      if (Peek(in, *pos) == ']') {
        ++*pos;
        return v;
      }
      for (;;) {
        v.array.push_back(ParseValue(in, pos));
        SkipSpace(in, pos);
        if (Peek(in, *pos) == ',') {
          ++*pos;
          continue;
        }
        Expect(in, pos, "]");
        return v;
      }
    }
    if (c == '"') {
      v.type = Type::kString;
      v.text = ParseString(in, pos);
      return v;
    }
    if (c == 't') {
      Expect(in, pos, "true");
      v.type = Type::kBool;
      v.boolean = true;
      return v;
    }
    if (c == 'f') {
      Expect(in, pos, "false");
      v.type = Type::kBool;
      return v;
    }
    if (c == 'n') {
      Expect(in, pos, "null");
      return v;
    }
    size_t start = *pos;
    if (in[*pos] == '-') ++*pos;
    while (*pos < in.size() && in[*pos] >= '0' && in[*pos] <= '9') ++*pos;
    if (*pos == start) throw std::runtime_error("unexpected character");
    v.type = Type::kNumber;
    v.text = std::string(in.substr(start, *pos - start));
    return v;
  }
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_TOOLS_DISSECT_JSON_H_
