// Typed registries of named, versioned functions ("spacy.Tagger.v2", "reduce_mean.v1"), and
// the resolution of a config tree into objects, as spaCy/thinc's registry does:
// a block with exactly one "@<registry>" key is a promise; its other keys are the arguments.
#pragma once
#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace trfpipe {

// The config tree: JSON with key order kept, as confection keeps it.
using Json = nlohmann::ordered_json;

namespace registry {

namespace detail {
// Whether Json::get<T>() exists, so Value::as<T>() compiles for object-only types as well.
template <class T, class = void>
struct JsonGettable : std::false_type {};
template <class T>
struct JsonGettable<T, std::void_t<decltype(std::declval<const Json&>().template get<T>())>>
    : std::true_type {};
}  // namespace detail

// A resolved config value: plain JSON, an object made by a registered function, a section
// (ordered name -> Value) or a list, whose members may themselves be objects.
// Kind::Json holds scalars and null: from_json turns JSON objects and arrays into sections and
// lists. A section or list that holds no objects (at any depth) still answers json() with its
// JSON form, so `args.at("labels").as<std::vector<std::string>>()` works.
class Value {
 public:
  enum class Kind { Json, Object, Section, List };
  Value() = default;
  static Value from_json(Json j);
  static Value from_object(std::any object, std::string made_by);
  static Value section(std::vector<std::pair<std::string, Value>> items);
  static Value list(std::vector<Value> items);

  Kind kind() const { return kind_; }
  bool is_json() const { return kind_ == Kind::Json; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_section() const { return kind_ == Kind::Section; }
  bool is_list() const { return kind_ == Kind::List; }

  const Json& json() const;             // Error unless is_json() or an object-free section/list
  bool is_null() const { return kind_ == Kind::Json && json_.is_null(); }
  const std::any& object() const;       // Error unless is_object()
  const std::string& made_by() const { return made_by_; }  // "@architectures spacy.Tagger.v2"
  const std::vector<std::pair<std::string, Value>>& items() const;  // a section's members
  const std::vector<Value>& elements() const;                       // a list's members
  bool has(const std::string& key) const;
  const Value& at(const std::string& key) const;  // Error naming the key when absent
  std::string describe() const;  // short text for messages: `3`, `"abc"`, `a list`, `@layers x.v1`

  // JSON converted to T, or the object any_cast to T; a clear Error when it is neither.
  template <class T>
  T as() const {
    if (kind_ == Kind::Object) {
      if (const T* p = std::any_cast<T>(&object_)) return *p;
      throw_bad_cast(typeid(T).name());
    }
    if constexpr (detail::JsonGettable<T>::value) {
      const Json& j = json();
      try {
        return j.template get<T>();
      } catch (const nlohmann::json::exception&) {
        throw_bad_cast(typeid(T).name());
      }
    } else {
      throw_bad_cast(typeid(T).name());
    }
  }

 private:
  [[noreturn]] void throw_bad_cast(const char* wanted) const;
  bool plain_ = true;  // no objects inside: json_ holds the JSON form of a section/list
  Kind kind_ = Kind::Json;
  Json json_;
  std::any object_;
  std::string made_by_;
  std::vector<std::pair<std::string, Value>> items_;
  std::vector<Value> elements_;
};

// One declared argument of a registered function.
// The name "*" declares variadic positional arguments (Python's *args): given in the config as
// `[x.*.name]` sections (in order) or as a list `* = [...]`; every element is checked against
// `type`, and `make` finds them as a list under "*" (empty when none are given).
struct ArgSpec {
  std::string name;
  // "int", "float", "bool", "str", "list", "list[T]", "dict", "any", "null", or an object kind
  // such as "Model", "Callable" (checked only for being an object made by a promise); empty = any.
  // Alternatives are separated by "|": "float|Schedule", "str|null". A JSON null is also
  // accepted where the default is null (spaCy's Optional[...]). "float" accepts integers.
  // Python spellings ("Optional[int]", "List[str]") are refused by Registry::add.
  std::string type;
  std::optional<Json> default_value;  // nullopt: required. May itself be a promise block.
  std::string doc;
};

struct Function {
  std::string registry;  // "architectures"
  std::string name;      // "spacy.Tagger.v2"
  std::vector<ArgSpec> args;
  bool accepts_extra_args = false;  // like **kwargs: unknown keys are passed through
  // Builds the object. `args` is a section holding every declared argument (defaults filled);
  // `path` is where the block sits in the config, for error messages.
  std::function<std::any(const Value& args, const std::vector<std::string>& path)> make;
  std::string returns;  // what it makes, for `debug config` ("Model[List[Doc], List[Floats2d]]")
};

// Thread-safe. A Function reference stays valid for the life of the process, even after a
// later add of the same name replaces it.
class Registry {
 public:
  explicit Registry(std::string name);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  const std::string& name() const { return name_; }
  // A later add of the same name replaces the earlier one. Sets f.registry to this registry's
  // name; Error when f.name is empty, f.make is empty, two ArgSpecs share a name or a type is
  // spelled the Python way.
  void add(Function f);
  bool has(const std::string& function_name) const;
  // Unknown name: Error listing the available names.
  const Function& get(const std::string& function_name) const;
  std::vector<std::string> names() const;  // sorted

 private:
  const Function* find(const std::string& function_name) const;  // nullptr when absent
  std::string name_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Function>> functions_;
  std::vector<std::shared_ptr<const Function>> replaced_;  // kept alive for held references
};

// The named registries (spaCy's and thinc's names): factories, architectures, layers,
// span_getters, annotation_setters, batchers, optimizers, schedules, readers, scorers, loggers,
// misc, callbacks, tokenizers, initializers, losses, augmenters, vectors, lemmatizers, lookups,
// model_loaders, ops. Unknown name: Error listing them.
Registry& get(const std::string& registry_name);
std::vector<std::string> registry_names();

// Resolves a (interpolated) config tree depth-first: every promise block becomes an object.
// Errors name the full path ("components -> ner -> model -> hidden_width") and expected type.
Value resolve(const Json& tree, const std::vector<std::string>& path = {});

// Fills the declared defaults of every promise block into the tree (recursively, also inside
// defaults that are promises themselves), leaving given values alone: `init fill-config`.
// Missing defaults go after the given keys, in declaration order. Like confection's validating
// fill it throws ConfigError for unknown registries/functions, two "@" keys in one block,
// unexpected arguments and missing required ones; it does not check types (nothing is made).
Json fill_defaults(const Json& tree, const std::vector<std::string>& path = {});

// trfpipe is two shared libraries: libtrfpipe_core.so (config, registries, tokenization, Doc and
// Language, formats, rule-based components) and libtrfpipe.so (models, trainable and transformer
// components, training: LibTorch). A program linked against the core alone loads libtrfpipe.so
// (found beside the core) the first time a lookup misses: Registry::get, get_factory and
// has_factory of a name that is not registered load it once and look again, so a pipeline that
// needs no LibTorch never loads it. Registry::has only answers for what is registered now.
//
// Loads libtrfpipe.so now (a server may rather pay its start-up at start than at the first
// request). True when it is loaded, now or before; false when it cannot be: a program built from
// the static area libraries has none, or the file is missing (torch_library_error() says why).
bool load_torch_library();
bool torch_library_loaded();
std::string torch_library_error();  // "" unless loading failed
// Called by libtrfpipe.so's registration (also when a program links it directly).
void mark_torch_library_loaded();
// " (the LibTorch library was not loaded: <why>)" after a failed load, else "": for the messages
// of failed lookups.
std::string torch_library_note();

// Loads a plugin shared object (`--code plugin.so`). The plugin defines
//   extern "C" void trfpipe_register_plugin();
// which registers its factories/architectures. A clear Error when the file or symbol is absent.
void load_plugin(const std::string& path);

// ---- Helpers for registration sites ----

// ArgSpec builders: arg("width", "int") is required; arg("nO", "int", nullptr) defaults to
// null; arg("pooling", "Model", Json{{"@layers", "reduce_mean.v1"}}) defaults to a promise.
ArgSpec arg(std::string name, std::string type);
ArgSpec arg(std::string name, std::string type, Json default_value);

// Typed reads of a resolved argument section (the `args` given to Function::make). Error naming
// the argument when it is absent or has another type. get_float accepts integers.
int64_t get_int(const Value& args, const std::string& name);
double get_float(const Value& args, const std::string& name);
bool get_bool(const Value& args, const std::string& name);
std::string get_str(const Value& args, const std::string& name);
std::vector<std::string> get_str_list(const Value& args, const std::string& name);
// True when the argument is JSON null (an Optional left unset). Error when absent.
bool is_null(const Value& args, const std::string& name);

}  // namespace registry
}  // namespace trfpipe
