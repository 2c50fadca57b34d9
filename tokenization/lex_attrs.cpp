// spaCy's lexical attributes. See lex_attrs.hpp.
#include "tokenization/lex_attrs.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_set>
#include <vector>

#include <unicode/regex.h>
#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "tokenization/rule_tokenizer.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::tokenization::lex {

namespace {

// Decodes `text` into code points; throws ValueError naming the byte offset of invalid UTF-8.
std::u32string decode(std::string_view text) {
  validate_utf8(text);
  std::u32string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto n = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < n) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

std::string encode(const std::u32string& cps, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i) {
    uint8_t buf[U8_MAX_LENGTH];
    int32_t n = 0;
    U8_APPEND_UNSAFE(buf, n, static_cast<UChar32>(cps[i]));
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
  }
  return out;
}

// Python's per-character predicates (CPython's unicodectype flags).
bool ch_alpha(char32_t c) {
  const auto t = u_charType(static_cast<UChar32>(c));
  return t == U_UPPERCASE_LETTER || t == U_LOWERCASE_LETTER || t == U_TITLECASE_LETTER ||
         t == U_MODIFIER_LETTER || t == U_OTHER_LETTER;
}
bool ch_digit(char32_t c) {
  const auto nt = u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_NUMERIC_TYPE);
  return nt == U_NT_DECIMAL || nt == U_NT_DIGIT;
}
bool ch_upper(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_UPPERCASE); }
bool ch_lower(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_LOWERCASE); }
bool ch_title(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_TITLECASE_LETTER; }

bool py_isdigit(const std::u32string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), ch_digit);
}

bool one_of(std::string_view text, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), text) != set.end();
}

const std::unordered_set<std::string>& stop_words() {
  static const std::unordered_set<std::string> words = {
    "'d", "'ll", "'m", "'re", "'s", "'ve", "a", "about", "above", "across", "after", "afterwards",
    "again", "against", "all", "almost", "alone", "along", "already", "also", "although",
    "always", "am", "among", "amongst", "amount", "an", "and", "another", "any", "anyhow",
    "anyone", "anything", "anyway", "anywhere", "are", "around", "as", "at", "back", "be",
    "became", "because", "become", "becomes", "becoming", "been", "before", "beforehand",
    "behind", "being", "below", "beside", "besides", "between", "beyond", "both", "bottom", "but",
    "by", "ca", "call", "can", "cannot", "could", "did", "do", "does", "doing", "done", "down",
    "due", "during", "each", "eight", "either", "eleven", "else", "elsewhere", "empty", "enough",
    "even", "ever", "every", "everyone", "everything", "everywhere", "except", "few", "fifteen",
    "fifty", "first", "five", "for", "former", "formerly", "forty", "four", "from", "front",
    "full", "further", "get", "give", "go", "had", "has", "have", "he", "hence", "her", "here",
    "hereafter", "hereby", "herein", "hereupon", "hers", "herself", "him", "himself", "his",
    "how", "however", "hundred", "i", "if", "in", "indeed", "into", "is", "it", "its", "itself",
    "just", "keep", "last", "latter", "latterly", "least", "less", "made", "make", "many", "may",
    "me", "meanwhile", "might", "mine", "more", "moreover", "most", "mostly", "move", "much",
    "must", "my", "myself", "n't", "name", "namely", "neither", "never", "nevertheless", "next",
    "nine", "no", "nobody", "none", "noone", "nor", "not", "nothing", "now", "nowhere", "n‘t",
    "n’t", "of", "off", "often", "on", "once", "one", "only", "onto", "or", "other", "others",
    "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part", "per", "perhaps",
    "please", "put", "quite", "rather", "re", "really", "regarding", "same", "say", "see", "seem",
    "seemed", "seeming", "seems", "serious", "several", "she", "should", "show", "side", "since",
    "six", "sixty", "so", "some", "somehow", "someone", "something", "sometime", "sometimes",
    "somewhere", "still", "such", "take", "ten", "than", "that", "the", "their", "them",
    "themselves", "then", "thence", "there", "thereafter", "thereby", "therefore", "therein",
    "thereupon", "these", "they", "third", "this", "those", "though", "three", "through",
    "throughout", "thru", "thus", "to", "together", "too", "top", "toward", "towards", "twelve",
    "twenty", "two", "under", "unless", "until", "up", "upon", "us", "used", "using", "various",
    "very", "via", "was", "we", "well", "were", "what", "whatever", "when", "whence", "whenever",
    "where", "whereafter", "whereas", "whereby", "wherein", "whereupon", "wherever", "whether",
    "which", "while", "whither", "who", "whoever", "whole", "whom", "whose", "why", "will",
    "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves",
    "‘d", "‘ll", "‘m", "‘re", "‘s", "‘ve", "’d", "’ll", "’m", "’re", "’s", "’ve",
  };
  return words;
}

const std::unordered_set<std::string>& tlds() {
  static const std::unordered_set<std::string> t = [] {
    const std::string all =
        "com|org|edu|gov|net|mil|aero|asia|biz|cat|coop|info|int|jobs|mobi|museum|name|pro|tel|"
        "travel|xyz|icu|xxx|ac|ad|ae|af|ag|ai|al|am|an|ao|aq|ar|as|at|au|aw|ax|az|ba|bb|bd|be|bf|"
        "bg|bh|bi|bj|bm|bn|bo|br|bs|bt|bv|bw|by|bz|ca|cc|cd|cf|cg|ch|ci|ck|cl|cm|cn|co|cr|cs|cu|"
        "cv|cx|cy|cz|dd|de|dj|dk|dm|do|dz|ec|ee|eg|eh|er|es|et|eu|fi|fj|fk|fm|fo|fr|ga|gb|gd|ge|"
        "gf|gg|gh|gi|gl|gm|gn|gp|gq|gr|gs|gt|gu|gw|gy|hk|hm|hn|hr|ht|hu|id|ie|il|im|in|io|iq|ir|"
        "is|it|je|jm|jo|jp|ke|kg|kh|ki|km|kn|kp|kr|kw|ky|kz|la|lb|lc|li|lk|lr|ls|lt|lu|lv|ly|ma|"
        "mc|md|me|mg|mh|mk|ml|mm|mn|mo|mp|mq|mr|ms|mt|mu|mv|mw|mx|my|mz|na|nc|ne|nf|ng|ni|nl|no|"
        "np|nr|nu|nz|om|pa|pe|pf|pg|ph|pk|pl|pm|pn|pr|ps|pt|pw|py|qa|re|ro|rs|ru|rw|sa|sb|sc|sd|"
        "se|sg|sh|si|sj|sk|sl|sm|sn|so|sr|ss|st|su|sv|sy|sz|tc|td|tf|tg|th|tj|tk|tl|tm|tn|to|tp|"
        "tr|tt|tv|tw|tz|ua|ug|uk|us|uy|uz|va|vc|ve|vg|vi|vn|vu|wf|ws|ye|yt|za|zm|zw";
    std::unordered_set<std::string> out;
    size_t a = 0;
    while (a <= all.size()) {
      size_t z = all.find('|', a);
      if (z == std::string::npos) z = all.size();
      out.insert(all.substr(a, z - a));
      a = z + 1;
    }
    return out;
  }();
  return t;
}

// spacy/lang/en/lex_attrs.py number and ordinal words.
const std::unordered_set<std::string>& number_words() {
  static const std::unordered_set<std::string> w = {
      "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
      "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
      "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
      "hundred", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion",
      "sextillion", "septillion", "octillion", "nonillion", "decillion", "gajillion", "bazillion",
      "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
      "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
      "seventeenth", "eighteenth", "nineteenth", "twentieth", "thirtieth", "fortieth",
      "fiftieth", "sixtieth", "seventieth", "eightieth", "ninetieth", "hundredth", "thousandth",
      "millionth", "billionth", "trillionth", "quadrillionth", "quintillionth", "sextillionth",
      "septillionth", "octillionth", "nonillionth", "decillionth", "gajillionth", "bazillionth"};
  return w;
}

// spaCy's URL_MATCH (re.match: anchored at the start; the pattern itself ends with $).
bool url_match(std::string_view text) {
  static const std::unique_ptr<icu::RegexPattern> pattern = [] {
    UParseError pe{};
    UErrorCode st = U_ZERO_ERROR;
    const std::string p = english_url_pattern();
    std::unique_ptr<icu::RegexPattern> r(icu::RegexPattern::compile(
        icu::UnicodeString::fromUTF8(icu::StringPiece(p.data(), static_cast<int32_t>(p.size()))),
        0, pe, st));
    if (U_FAILURE(st)) throw Error(std::string("like_url: URL pattern: ") + u_errorName(st));
    return r;
  }();
  thread_local std::unique_ptr<icu::RegexMatcher> matcher;
  UErrorCode st = U_ZERO_ERROR;
  if (!matcher) matcher.reset(pattern->matcher(st));
  if (U_FAILURE(st) || !matcher) throw Error("like_url: cannot create an ICU matcher");
  const icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  matcher->reset(u);
  const bool ok = matcher->lookingAt(st) && U_SUCCESS(st);
  matcher->reset(icu::UnicodeString());
  return ok;
}

}  // namespace

bool is_space_char(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string lower(std::string_view text) {
  validate_utf8(text);
  bool ascii = true;
  for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    std::string out(text);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string shape(std::string_view text) {
  const std::u32string s = decode(text);
  if (s.size() >= 100) return "LONG";
  std::u32string out;
  char32_t last = 0;
  bool have_last = false;
  int seq = 0;
  for (char32_t c : s) {
    char32_t sc;
    if (ch_alpha(c)) {
      sc = ch_upper(c) ? U'X' : U'x';
    } else if (ch_digit(c)) {
      sc = U'd';
    } else {
      sc = c;
    }
    if (have_last && sc == last) {
      ++seq;
    } else {
      seq = 0;
      last = sc;
      have_last = true;
    }
    if (seq < 4) out.push_back(sc);
  }
  return encode(out, 0, out.size());
}

std::string prefix(std::string_view text) {
  const std::u32string s = decode(text);
  return encode(s, 0, std::min<size_t>(1, s.size()));
}

std::string suffix(std::string_view text) {
  const std::u32string s = decode(text);
  return encode(s, s.size() > 3 ? s.size() - 3 : 0, s.size());
}

bool is_alpha(std::string_view text) {
  const std::u32string s = decode(text);
  return !s.empty() && std::all_of(s.begin(), s.end(), ch_alpha);
}

bool is_ascii(std::string_view text) {
  validate_utf8(text);
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_digit(std::string_view text) { return py_isdigit(decode(text)); }

bool is_lower(std::string_view text) {
  bool cased = false;
  for (char32_t c : decode(text)) {
    if (ch_upper(c) || ch_title(c)) return false;
    if (ch_lower(c)) cased = true;
  }
  return cased;
}

bool is_upper(std::string_view text) {
  bool cased = false;
  for (char32_t c : decode(text)) {
    if (ch_lower(c) || ch_title(c)) return false;
    if (ch_upper(c)) cased = true;
  }
  return cased;
}

bool is_title(std::string_view text) {
  bool cased = false;
  bool previous_cased = false;
  for (char32_t c : decode(text)) {
    if (ch_upper(c) || ch_title(c)) {
      if (previous_cased) return false;
      previous_cased = cased = true;
    } else if (ch_lower(c)) {
      if (!previous_cased) return false;
      previous_cased = cased = true;
    } else {
      previous_cased = false;
    }
  }
  return cased;
}

bool is_punct(std::string_view text) {
  for (char32_t c : decode(text)) {
    switch (u_charType(static_cast<UChar32>(c))) {
      case U_CONNECTOR_PUNCTUATION:
      case U_DASH_PUNCTUATION:
      case U_START_PUNCTUATION:
      case U_END_PUNCTUATION:
      case U_INITIAL_PUNCTUATION:
      case U_FINAL_PUNCTUATION:
      case U_OTHER_PUNCTUATION:
        break;
      default:
        return false;
    }
  }
  return true;
}

bool is_space(std::string_view text) {
  const std::u32string s = decode(text);
  return !s.empty() && std::all_of(s.begin(), s.end(), is_space_char);
}

bool is_bracket(std::string_view text) {
  validate_utf8(text);
  return one_of(text, {"(", ")", "[", "]", "{", "}", "<", ">"});
}

bool is_quote(std::string_view text) {
  validate_utf8(text);
  return one_of(text, {"\"", "'", "`", "«", "»", "‘", "’", "‚", "‛", "“", "”", "„", "‟", "‹", "›",
                       "❮", "❯", "''", "``"});
}

bool is_left_punct(std::string_view text) {
  validate_utf8(text);
  return one_of(text, {"(", "[", "{", "<", "\"", "'", "«", "‘", "‚", "‛", "“", "„", "‟", "‹", "❮",
                       "``"});
}

bool is_right_punct(std::string_view text) {
  validate_utf8(text);
  return one_of(text, {")", "]", "}", ">", "\"", "'", "»", "’", "”", "›", "❯", "''"});
}

bool is_currency(std::string_view text) {
  for (char32_t c : decode(text)) {
    if (u_charType(static_cast<UChar32>(c)) != U_CURRENCY_SYMBOL) return false;
  }
  return true;
}

bool like_url(std::string_view text) {
  validate_utf8(text);
  if (text.empty()) return false;
  auto starts = [&](std::string_view p) { return text.substr(0, p.size()) == p; };
  if (starts("http://") || starts("https://")) return true;
  if (starts("www.") && decode(text).size() >= 5) return true;
  if (text.front() == '.' || text.back() == '.') return false;
  if (text.find('@') != std::string_view::npos) return false;
  const size_t dot = text.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view tld = text.substr(dot + 1);
  tld = tld.substr(0, tld.find(':'));
  if (!tld.empty() && tld.back() == '/') return true;
  if (is_alpha(tld) && tlds().count(std::string(tld))) return true;
  return url_match(text);
}

bool like_num(std::string_view text) {
  validate_utf8(text);
  std::string t(text);
  for (std::string_view sign : {"+", "-", "±", "~"}) {
    if (t.compare(0, sign.size(), sign) == 0) {
      t.erase(0, sign.size());
      break;
    }
  }
  t.erase(std::remove_if(t.begin(), t.end(), [](char c) { return c == ',' || c == '.'; }),
          t.end());
  if (py_isdigit(decode(t))) return true;
  if (std::count(t.begin(), t.end(), '/') == 1) {
    const size_t slash = t.find('/');
    if (py_isdigit(decode(t.substr(0, slash))) && py_isdigit(decode(t.substr(slash + 1))))
      return true;
  }
  const std::string tl = lower(t);
  if (number_words().count(tl)) return true;
  if (tl.size() >= 2) {
    const std::string end = tl.substr(tl.size() - 2);
    if ((end == "st" || end == "nd" || end == "rd" || end == "th") &&
        py_isdigit(decode(tl.substr(0, tl.size() - 2))))
      return true;
  }
  return false;
}

bool like_email(std::string_view text) {
  validate_utf8(text);
  // re.match(r"([a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+)"): anchored at the start only.
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  size_t i = 0;
  const size_t n = text.size();
  while (i < n && (alnum(text[i]) || text[i] == '_' || text[i] == '.' || text[i] == '+' ||
                   text[i] == '-'))
    ++i;
  if (i == 0 || i >= n || text[i] != '@') return false;
  ++i;
  const size_t host = i;
  while (i < n && (alnum(text[i]) || text[i] == '-')) ++i;
  if (i == host || i >= n || text[i] != '.') return false;
  ++i;
  return i < n && (alnum(text[i]) || text[i] == '-' || text[i] == '.');
}

bool is_stop(std::string_view text) { return stop_words().count(lower(text)) != 0; }

LexAttrs lex_attrs(std::string_view text, const std::unordered_set<std::string>* stop_words_of_lang) {
  LexAttrs a;
  a.lower = lower(text);
  a.shape = shape(text);
  a.prefix = prefix(text);
  a.suffix = suffix(text);
  a.is_alpha = is_alpha(text);
  a.is_ascii = is_ascii(text);
  a.is_digit = is_digit(text);
  a.is_lower = is_lower(text);
  a.is_upper = is_upper(text);
  a.is_title = is_title(text);
  a.is_punct = is_punct(text);
  a.is_space = is_space(text);
  a.is_bracket = is_bracket(text);
  a.is_quote = is_quote(text);
  a.is_left_punct = is_left_punct(text);
  a.is_right_punct = is_right_punct(text);
  a.is_currency = is_currency(text);
  a.like_url = like_url(text);
  a.like_num = like_num(text);
  a.like_email = like_email(text);
  a.is_stop = (stop_words_of_lang ? *stop_words_of_lang : stop_words()).count(a.lower) != 0;
  return a;
}

}  // namespace trfpipe::tokenization::lex
