#include <gtest/gtest.h>

#include <memory>

#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

using trfpipe::Error;
using trfpipe::Json;
using trfpipe::registry::Value;

TEST(Value, FromJsonKeepsScalarsAsJson) {
  Value v = Value::from_json(3);
  EXPECT_TRUE(v.is_json());
  EXPECT_EQ(v.as<int>(), 3);
  EXPECT_EQ(Value::from_json("abc").as<std::string>(), "abc");
  EXPECT_TRUE(Value::from_json(nullptr).is_null());
  EXPECT_FALSE(Value::from_json(0).is_null());
}

TEST(Value, FromJsonTurnsObjectsAndArraysIntoSectionsAndLists) {
  Json j = Json::parse(R"({"b": 1, "a": [1, 2], "c": {"x": "y"}})");
  Value v = Value::from_json(j);
  ASSERT_TRUE(v.is_section());
  ASSERT_EQ(v.items().size(), 3u);
  EXPECT_EQ(v.items()[0].first, "b");  // order kept
  EXPECT_EQ(v.items()[1].first, "a");
  EXPECT_TRUE(v.at("a").is_list());
  EXPECT_EQ(v.at("a").elements().size(), 2u);
  EXPECT_EQ(v.at("c").at("x").as<std::string>(), "y");
  EXPECT_EQ(v.json(), j);
  EXPECT_EQ(v.at("a").as<std::vector<int>>(), (std::vector<int>{1, 2}));
}

TEST(Value, SectionAndListBuiltFromPlainValuesAnswerJson) {
  Value s = Value::section({{"x", Value::from_json(1)}, {"y", Value::list({Value::from_json("a")})}});
  EXPECT_EQ(s.json(), Json::parse(R"({"x": 1, "y": ["a"]})"));
  EXPECT_EQ(Value::section({}).json(), Json::object());
  EXPECT_EQ(Value::list({}).json(), Json::array());
}

TEST(Value, JsonThrowsWhenAnObjectIsInside) {
  Value obj = Value::from_object(std::make_shared<int>(4), "@layers x.v1");
  Value s = Value::section({{"m", obj}});
  Value l = Value::list({Value::from_json(1), obj});
  EXPECT_THROW(obj.json(), Error);
  EXPECT_THROW(s.json(), Error);
  EXPECT_THROW(l.json(), Error);
  EXPECT_TRUE(s.at("m").is_object());
  EXPECT_EQ(*l.elements()[1].as<std::shared_ptr<int>>(), 4);
}

TEST(Value, ObjectKeepsMadeBy) {
  Value obj = Value::from_object(std::string("made"), "@architectures spacy.Tagger.v2");
  EXPECT_TRUE(obj.is_object());
  EXPECT_EQ(obj.made_by(), "@architectures spacy.Tagger.v2");
  EXPECT_EQ(std::any_cast<std::string>(obj.object()), "made");
  EXPECT_EQ(obj.as<std::string>(), "made");
  EXPECT_EQ(obj.describe(), "an object made by @architectures spacy.Tagger.v2");
}

TEST(Value, AsThrowsErrorForWrongObjectType) {
  Value obj = Value::from_object(std::string("made"), "@layers x.v1");
  try {
    obj.as<int>();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("@layers x.v1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int"), std::string::npos) << e.what();
  }
}

TEST(Value, AsThrowsErrorForWrongJsonType) {
  try {
    Value::from_json("abc").as<int>();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"abc\""), std::string::npos) << e.what();
  }
}

TEST(Value, AccessorsThrowForOtherKinds) {
  Value j = Value::from_json(1);
  EXPECT_THROW(j.object(), Error);
  EXPECT_THROW(j.items(), Error);
  EXPECT_THROW(j.elements(), Error);
  EXPECT_THROW(j.at("x"), Error);
  EXPECT_FALSE(j.has("x"));
  EXPECT_THROW(Value::list({}).items(), Error);
  EXPECT_THROW(Value::section({}).elements(), Error);
}

TEST(Value, AtNamesMissingKeyAndListsKeys) {
  Value s = Value::from_json(Json::parse(R"({"width": 1, "depth": 2})"));
  EXPECT_TRUE(s.has("width"));
  EXPECT_FALSE(s.has("widht"));
  try {
    s.at("widht");
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("'widht'"), std::string::npos) << what;
    EXPECT_NE(what.find("width, depth"), std::string::npos) << what;
  }
}

TEST(Value, DescribeShortensLongJson) {
  Value v = Value::from_json(std::string(200, 'x'));
  EXPECT_LE(v.describe().size(), 60u);
  EXPECT_EQ(Value::from_json(3).describe(), "3");
  EXPECT_EQ(Value::list({}).describe(), "a list");
  EXPECT_EQ(Value::section({}).describe(), "a section");
}

TEST(Value, AsObjectTypeOnJsonValueThrows) {
  try {
    Value::from_json(3).as<std::shared_ptr<int>>();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("can't read 3 as"), std::string::npos) << e.what();
  }
}
