// Built-in library items and the JSON fixture file loader.
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dsmock/server.hpp"

namespace dsmock {

std::vector<ItemFixture> default_fixtures() {
  return {
      {"6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01",
       "2",
       {{"photon-5.ovf", 4096}, {"photon-5-disk1.vmdk", 65536}, {"photon-5.mf", 1024}}},
      {"a3b9e7f2-5c14-4d8e-b6a0-91c2d3e4f5a6", "1", {{"tools.iso", 32768}}},
      {"0f1e2d3c-4b5a-4697-8877-665544332211",
       "7",
       {{"template.ovf", 2048}, {"template-disk1.vmdk", 49152}}},
  };
}

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why);
}
}  // namespace

std::vector<ItemFixture> load_fixtures(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(path, "cannot read file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("invalid JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("items") || !doc["items"].is_array())
    fail(path, "top level must be an object with an \"items\" array");
  if (doc["items"].empty()) fail(path, "\"items\" is empty");
  std::vector<ItemFixture> items;
  std::set<std::string> ids;
  std::size_t i = 0;
  for (const auto& it : doc["items"]) {
    const std::string where = "items[" + std::to_string(i++) + "]";
    if (!it.is_object()) fail(path, where + " is not an object");
    ItemFixture item;
    if (!it.contains("id") || !it["id"].is_string() || it["id"].get<std::string>().empty())
      fail(path, where + ".id must be a non-empty string");
    item.id = it["id"].get<std::string>();
    if (!ids.insert(item.id).second) fail(path, where + ".id '" + item.id + "' is a duplicate");
    if (!it.contains("content_version") || !it["content_version"].is_string())
      fail(path, where + ".content_version must be a string");
    item.content_version = it["content_version"].get<std::string>();
    if (!it.contains("files") || !it["files"].is_array())
      fail(path, where + ".files must be an array");
    std::set<std::string> names;
    std::size_t j = 0;
    for (const auto& f : it["files"]) {
      const std::string fw = where + ".files[" + std::to_string(j++) + "]";
      if (!f.is_object()) fail(path, fw + " is not an object");
      if (!f.contains("name") || !f["name"].is_string() || f["name"].get<std::string>().empty())
        fail(path, fw + ".name must be a non-empty string");
      if (!f.contains("size") || !f["size"].is_number_integer() ||
          f["size"].get<std::int64_t>() < 0)
        fail(path, fw + ".size must be a non-negative integer");
      FileFixture file{f["name"].get<std::string>(), f["size"].get<std::int64_t>()};
      if (!names.insert(file.name).second)
        fail(path, fw + ".name '" + file.name + "' is a duplicate");
      item.files.push_back(std::move(file));
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace dsmock
