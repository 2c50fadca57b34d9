// registry::Value: the resolved form of a config tree.
#include <cxxabi.h>

#include <cstdlib>

#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe::registry {

namespace {

std::string demangle(const char* name) {
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return name;
  std::string text(out);
  std::free(out);
  return text;
}

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::Json: return "a JSON value";
    case Value::Kind::Object: return "an object";
    case Value::Kind::Section: return "a section";
    case Value::Kind::List: return "a list";
  }
  return "a value";
}

}  // namespace

Value Value::from_json(Json j) {
  if (j.is_object()) {
    std::vector<std::pair<std::string, Value>> items;
    items.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) items.emplace_back(it.key(), from_json(*it));
    Value v;
    v.kind_ = Kind::Section;
    v.items_ = std::move(items);
    v.json_ = std::move(j);
    return v;
  }
  if (j.is_array()) {
    std::vector<Value> elements;
    elements.reserve(j.size());
    for (const Json& e : j) elements.push_back(from_json(e));
    Value v;
    v.kind_ = Kind::List;
    v.elements_ = std::move(elements);
    v.json_ = std::move(j);
    return v;
  }
  Value v;
  v.json_ = std::move(j);
  return v;
}

Value Value::from_object(std::any object, std::string made_by) {
  Value v;
  v.kind_ = Kind::Object;
  v.object_ = std::move(object);
  v.made_by_ = std::move(made_by);
  v.plain_ = false;
  return v;
}

Value Value::section(std::vector<std::pair<std::string, Value>> items) {
  Value v;
  v.kind_ = Kind::Section;
  v.json_ = Json::object();
  for (const auto& item : items) {
    if (!item.second.plain_) v.plain_ = false;
  }
  if (v.plain_) {
    for (const auto& item : items) v.json_[item.first] = item.second.json_;
  } else {
    v.json_ = Json();
  }
  v.items_ = std::move(items);
  return v;
}

Value Value::list(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::List;
  v.json_ = Json::array();
  for (const Value& e : items) {
    if (!e.plain_) v.plain_ = false;
  }
  if (v.plain_) {
    for (const Value& e : items) v.json_.push_back(e.json_);
  } else {
    v.json_ = Json();
  }
  v.elements_ = std::move(items);
  return v;
}

const Json& Value::json() const {
  if (kind_ == Kind::Json || plain_) return json_;
  throw Error("expected a JSON value, got " + describe());
}

const std::any& Value::object() const {
  if (kind_ != Kind::Object) throw Error("expected an object made by a registered function, got " + describe());
  return object_;
}

const std::vector<std::pair<std::string, Value>>& Value::items() const {
  if (kind_ != Kind::Section) throw Error("expected a section, got " + describe());
  return items_;
}

const std::vector<Value>& Value::elements() const {
  if (kind_ != Kind::List) throw Error("expected a list, got " + describe());
  return elements_;
}

bool Value::has(const std::string& key) const {
  if (kind_ != Kind::Section) return false;
  for (const auto& item : items_) {
    if (item.first == key) return true;
  }
  return false;
}

const Value& Value::at(const std::string& key) const {
  if (kind_ != Kind::Section) throw Error("can't look up '" + key + "' in " + describe());
  std::string keys;
  for (const auto& item : items_) {
    if (item.first == key) return item.second;
    keys += (keys.empty() ? "" : ", ") + item.first;
  }
  throw Error("no key '" + key + "' in the section (keys: " + (keys.empty() ? "none" : keys) + ")");
}

std::string Value::describe() const {
  switch (kind_) {
    case Kind::Json: {
      std::string text = json_.dump();
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      return text;
    }
    case Kind::Object: return "an object made by " + made_by_;
    case Kind::Section:
    case Kind::List: return kind_name(kind_);
  }
  return kind_name(kind_);
}

void Value::throw_bad_cast(const char* wanted) const {
  if (kind_ == Kind::Object) {
    throw Error("the object made by " + made_by_ + " is a " + demangle(object_.type().name()) +
                ", not a " + demangle(wanted));
  }
  throw Error("can't read " + describe() + " as " + demangle(wanted));
}

}  // namespace trfpipe::registry
