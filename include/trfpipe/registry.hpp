// Typed registries of named, versioned functions ("spacy.Tagger.v2", "reduce_mean.v1"), and
// the resolution of a config tree into objects, as spaCy/thinc's registry does:
// a block with exactly one "@<registry>" key is a promise; its other keys are the arguments.
#pragma once
#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace trfpipe {

// The config tree: JSON with key order kept, as confection keeps it.
using Json = nlohmann::ordered_json;

namespace registry {

// A resolved config value: plain JSON, an object made by a registered function, a section
// (ordered name -> Value) or a list, whose members may themselves be objects.
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

  const Json& json() const;             // Error unless is_json()
  const std::any& object() const;       // Error unless is_object()
  const std::string& made_by() const { return made_by_; }  // "@architectures spacy.Tagger.v2"
  const std::vector<std::pair<std::string, Value>>& items() const;  // a section's members
  const std::vector<Value>& elements() const;                       // a list's members
  bool has(const std::string& key) const;
  const Value& at(const std::string& key) const;  // Error naming the key when absent

  // JSON converted to T, or the object any_cast to T; a clear Error when it is neither.
  template <class T>
  T as() const {
    if (kind_ == Kind::Object) {
      if (const T* p = std::any_cast<T>(&object_)) return *p;
      throw_bad_cast(typeid(T).name());
    }
    return json().template get<T>();
  }

 private:
  [[noreturn]] void throw_bad_cast(const char* wanted) const;
  Kind kind_ = Kind::Json;
  Json json_;
  std::any object_;
  std::string made_by_;
  std::vector<std::pair<std::string, Value>> items_;
  std::vector<Value> elements_;
};

// One declared argument of a registered function.
struct ArgSpec {
  std::string name;
  // "int", "float", "bool", "str", "list", "dict", "any", or an object kind such as "Model",
  // "Callable" (checked only for being an object). A JSON null is accepted where the default
  // is null (spaCy's Optional[...]).
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

class Registry {
 public:
  explicit Registry(std::string name);
  const std::string& name() const { return name_; }
  void add(Function f);  // a later add of the same name replaces the earlier one
  bool has(const std::string& function_name) const;
  // Unknown name: Error listing the available names.
  const Function& get(const std::string& function_name) const;
  std::vector<std::string> names() const;  // sorted

 private:
  std::string name_;
  std::vector<Function> functions_;
};

// The named registries (spaCy's and thinc's names): factories, architectures, layers,
// span_getters, annotation_setters, batchers, optimizers, schedules, readers, scorers, loggers,
// misc, callbacks, tokenizers. Unknown name: Error listing them.
Registry& get(const std::string& registry_name);
std::vector<std::string> registry_names();

// Resolves a (interpolated) config tree depth-first: every promise block becomes an object.
// Errors name the full path ("components -> ner -> model -> hidden_width") and expected type.
Value resolve(const Json& tree, const std::vector<std::string>& path = {});

// Fills the declared defaults of every promise block into the tree (recursively, also inside
// defaults that are promises themselves), leaving given values alone: `init fill-config`.
Json fill_defaults(const Json& tree, const std::vector<std::string>& path = {});

// Loads a plugin shared object (`--code plugin.so`). The plugin defines
//   extern "C" void trfpipe_register_plugin();
// which registers its factories/architectures. A clear Error when the file or symbol is absent.
void load_plugin(const std::string& path);

}  // namespace registry
}  // namespace trfpipe
